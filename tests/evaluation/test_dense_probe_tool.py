"""tools/dense_probe.py end to end on tiny generated scenes, from the random
initialisation: the JSON keys, their ranges, one printed line per figure."""
import json
import math
import os

import dense_probe
import make_probe_scenes
import numpy as np
import pytest
import torch
from scipy.io import savemat

from dense_ssl.applications.image_io import read_index_png

CONFIG = 'configs/cpu_study/hiergroup_r18_bsds.py'


@pytest.fixture(scope='module')
def scenes(tmp_path_factory):
    root = tmp_path_factory.mktemp('probe_tool')
    for split, seed, num in (('train', 0, 3), ('val', 1, 2)):
        assert make_probe_scenes.main([str(root / split), '--num', str(num),
                                       '--seed', str(seed), '--size', '64',
                                       '--leaves', '6']) == 0
    # BSDS-style ground truth of the val scenes: the labels as one human's
    # segmentation (1-based) and its boundaries
    gt = root / 'gt'
    gt.mkdir()
    for name in os.listdir(root / 'val' / 'labels'):
        seg = read_index_png(str(root / 'val' / 'labels' / name)) + 1
        bdry = np.zeros(seg.shape, np.uint8)
        bdry[:-1] |= seg[:-1] != seg[1:]
        bdry[:, :-1] |= seg[:, :-1] != seg[:, 1:]
        cell = np.empty((1, 1), dtype=object)
        cell[0, 0] = {'Segmentation': seg.astype(np.uint16),
                      'Boundaries': bdry}
        savemat(str(gt / name.replace('.png', '.mat')), {'groundTruth': cell})
    return root


def _args(root, out, *extra):
    return [CONFIG, '--random-init', '--train-images',
            str(root / 'train' / 'images'), '--train-labels',
            str(root / 'train' / 'labels'), '--val-images',
            str(root / 'val' / 'images'), '--val-labels',
            str(root / 'val' / 'labels'), '--ignore-index', '255', '--out',
            str(out), *extra]


def test_parse_args_is_the_documented_interface():
    args = dense_probe.parse_args([
        'cfg.py', '--checkpoint', 'c.pth', '--feature', 'neck',
        '--cfg-options', 'model.backbone.depth=18', '--train-images', 'a',
        '--train-labels', 'b', '--val-images', 'c', '--val-labels', 'd',
        '--ignore-index', '255', '--out', 'o.json'])
    assert args.checkpoint == 'c.pth' and not args.random_init
    assert args.cfg_options == {'model.backbone.depth': 18}
    assert (args.feature, args.stage, args.device) == ('neck', -1, 'cpu')
    with pytest.raises(SystemExit):  # a checkpoint or --random-init
        dense_probe.parse_args(['cfg.py', '--out', 'o.json'])
    with pytest.raises(SystemExit):
        dense_probe.parse_args(['cfg.py', '--random-init', '--checkpoint',
                                'c.pth', '--out', 'o.json'])


@pytest.mark.slow
def test_random_init_linear_nn_and_grouping(scenes, tmp_path, capsys):
    out = tmp_path / 'probe.json'
    rc = dense_probe.main(_args(
        scenes, out, '--feature', 'neck', '--grouping-images',
        str(scenes / 'val' / 'images'), '--grouping-gt', str(scenes / 'gt'),
        '--ks', '2', '4', '--cfg-options', 'model.backbone.depth=18'))
    assert rc == 0
    rec = json.loads(out.read_text())
    for key in ('linear_miou', 'linear_train_miou', 'nn_miou',
                'covering_ods', 'covering_ois', 'pri_ods', 'bdry_ods_f',
                'bdry_ois_f'):
        assert 0.0 <= rec[key] <= 1.0, key
    assert rec['voi_ods'] >= 0 and math.isfinite(rec['voi_ods'])
    assert rec['grouping_best_k'] in (2, 4)
    assert rec['probes'] == ['linear', 'nn', 'grouping']
    assert rec['random_init'] and rec['feature'] == 'neck'
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert any(line.startswith('linear_miou 0.') or line == 'linear_miou 1.0000'
               for line in lines)
    for key in ('nn_miou', 'covering_ods', 'probe_seconds'):
        assert sum(line.split()[0] == key for line in lines) == 1
    assert 'train features: 3/3' in captured.err  # progress


def test_backbone_stage_and_num_classes(scenes, tmp_path):
    out = tmp_path / 'stage.json'
    assert dense_probe.main(_args(scenes, out, '--stage', '0', '--probes',
                                  'nn', '--num-classes', '8')) == 0
    rec = json.loads(out.read_text())
    assert set(rec) >= {'nn_miou', 'probe_seconds'}
    assert 'linear_miou' not in rec and rec['stage'] == 0


def test_errors_name_the_problem(scenes, tmp_path):
    with pytest.raises(SystemExit, match='--train-images'):
        dense_probe.main([CONFIG, '--random-init', '--out',
                          str(tmp_path / 'x.json')])
    with pytest.raises(SystemExit, match='no such file'):
        dense_probe.main(['nope.py', '--random-init', '--out',
                          str(tmp_path / 'x.json')])
    (tmp_path / 'empty').mkdir()
    with pytest.raises(SystemExit, match='00000.png is missing'):
        dense_probe.main(_args(scenes, tmp_path / 'x.json')[:6] + [
            '--val-images', str(scenes / 'val' / 'images'), '--val-labels',
            str(tmp_path / 'empty'), '--out', str(tmp_path / 'x.json')])


@pytest.mark.skipif(not torch.cuda.is_available(), reason='no CUDA device')
def test_device_cuda(scenes, tmp_path):
    out = tmp_path / 'cuda.json'
    assert dense_probe.main(_args(scenes, out, '--device', 'cuda')) == 0
    assert 0 <= json.loads(out.read_text())['linear_miou'] <= 1
