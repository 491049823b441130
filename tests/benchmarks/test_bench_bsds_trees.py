"""tools/benchmarks/bench_bsds_trees.py: one route end to end
on one BSDS500 val photo (skipped without the shared data)."""
import json
import os.path as osp
import sys

import numpy as np
import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.join(ROOT, 'tools', 'benchmarks'))
import bench_bsds_trees  # noqa: E402

BSDS = bench_bsds_trees.DEFAULT_BSDS


@pytest.mark.skipif(not osp.isdir(osp.join(BSDS, 'groundTruth', 'val')),
                    reason=f'BSDS500 is not at {BSDS} (see its README)')
def test_one_route_and_gpb_on_one_photo(tmp_path, capsys):
    out = str(tmp_path / 'bench')
    args = ['--limit', '1', '--nthresh', '9', '--long-side', '96', '--routes', 'gradient',
            'pmi', 'gpb', 'gpb-tree', '--out', out]
    assert bench_bsds_trees.main(args) == 0
    table = open(osp.join(out, 'table.md')).read()
    assert '| gradient |' in table and '| gpb |' in table and 'first 1 ids' in table
    assert '| pmi |' in table and '| gpb-tree |' in table
    assert 'min region frac 0.002, normalize image' in table
    # gPb's UCM through the builder: its own tree, a 96 px cut of at most 40 regions
    from dense_ssl.evaluation.bsds_run import load_result
    kind, ucm2 = load_result(osp.join(out, 'gpb-tree', 'ucm2', '101085.mat'))
    gpb = load_result(osp.join(BSDS, 'ucm2_gpb', 'val', '101085.mat'))[1]
    assert kind == 'ucm2' and ucm2.shape == gpb.shape  # the photo's doubled grid
    from dense_ssl.evaluation.bsds import ucm2_to_segmentation
    assert 2 <= len(np.unique(ucm2_to_segmentation(ucm2, 1e-6))) <= 40
    res = json.load(open(osp.join(out, 'gradient', 'result.json')))
    assert 0 < res['ods_f'] < 1 and 0 < res['cover_ods'] < 1 and res['img_per_s_per_core'] > 0
    assert osp.getsize(osp.join(out, 'pr.png')) > 0
    assert osp.isfile(osp.join(out, 'gradient', 'eval', 'eval_cover.txt'))
    assert bench_bsds_trees.main(args) == 0  # resumed: nothing redone, same table
    assert open(osp.join(out, 'table.md')).read() == table


def test_detector_option_parses_literals():
    args = bench_bsds_trees.parse_args(['--out', 'x', '--detector-option', 'weight=0.35',
                                        '--detector-option', 'sigmas=(1, 2)',
                                        '--detector-option', 'name=abc'])
    assert args.detector_option == [('weight', 0.35), ('sigmas', (1, 2)), ('name', 'abc')]
    for bad in ('weight', '=1', '2x=1'):
        with pytest.raises(SystemExit):
            bench_bsds_trees.parse_args(['--out', 'x', '--detector-option', bad])


@pytest.mark.skipif(not osp.isdir(osp.join(BSDS, 'groundTruth', 'val')),
                    reason=f'BSDS500 is not at {BSDS} (see its README)')
def test_detector_option_reaches_the_detector(tmp_path):
    # pmi with weight 0 is multicue itself (pmi's module doc): the same trees, the same figures
    common = ['--limit', '1', '--nthresh', '9', '--long-side', '96']
    assert bench_bsds_trees.main([*common, '--routes', 'multicue',
                                  '--out', str(tmp_path / 'a')]) == 0
    assert bench_bsds_trees.main([*common, '--routes', 'pmi', '--detector-option', 'weight=0.0',
                                  '--out', str(tmp_path / 'b')]) == 0
    a = json.load(open(tmp_path / 'a' / 'multicue' / 'result.json'))
    b = json.load(open(tmp_path / 'b' / 'pmi' / 'result.json'))
    for key in ('ods_f', 'ois_f', 'ap', 'cover_ods', 'pri_ods', 'voi_ods'):
        assert a[key] == b[key]
    assert 'weight=0.0' in open(tmp_path / 'b' / 'table.md').read()
