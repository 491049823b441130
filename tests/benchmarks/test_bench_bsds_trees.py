"""tools/benchmarks/bench_bsds_trees.py: the UCM frame it closes, and one route end to end
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


def test_closed_ucm2_keeps_regions_that_touch_the_border_apart():
    from dense_ssl.evaluation.bsds import region_tree_to_ucm2, ucm2_to_segmentation
    labels = np.array([[0, 0, 1, 1], [0, 0, 1, 1], [2, 2, 2, 2]])
    dist = np.array([[0, .5, 1], [.5, 0, 1], [1, 1, 0]])
    u = bench_bsds_trees.closed_ucm2(labels, dist)
    assert u[0, 4] == 0.5 and u[4, 0] == 1 and u[4, -1] == 1
    assert u[0, 3] == 0 and u[0, 0] == 0  # above a pixel / a corner: no boundary
    # below both heights: three regions; the open frame joins them all through the border
    assert len(np.unique(ucm2_to_segmentation(u, 0.4))) == 3
    open_frame = region_tree_to_ucm2(labels, dist)
    open_frame[0], open_frame[-1], open_frame[:, 0], open_frame[:, -1] = 0, 0, 0, 0
    assert len(np.unique(ucm2_to_segmentation(open_frame, 0.4))) == 1
    assert len(np.unique(ucm2_to_segmentation(u, 0.7))) == 2


@pytest.mark.skipif(not osp.isdir(osp.join(BSDS, 'groundTruth', 'val')),
                    reason=f'BSDS500 is not at {BSDS} (see its README)')
def test_one_route_and_gpb_on_one_photo(tmp_path, capsys):
    out = str(tmp_path / 'bench')
    args = ['--limit', '1', '--nthresh', '9', '--long-side', '96', '--routes', 'gradient',
            'gpb', '--out', out]
    assert bench_bsds_trees.main(args) == 0
    table = open(osp.join(out, 'table.md')).read()
    assert '| gradient |' in table and '| gpb |' in table and 'first 1 ids' in table
    res = json.load(open(osp.join(out, 'gradient', 'result.json')))
    assert 0 < res['ods_f'] < 1 and 0 < res['cover_ods'] < 1 and res['img_per_s_per_core'] > 0
    assert osp.getsize(osp.join(out, 'pr.png')) > 0
    assert osp.isfile(osp.join(out, 'gradient', 'eval', 'eval_cover.txt'))
    assert bench_bsds_trees.main(args) == 0  # resumed: nothing redone, same table
    assert open(osp.join(out, 'table.md')).read() == table
