"""`mim train mmselfsup` on the real configs, shrunk by --cfg-options."""
import os
import os.path as osp
import re
import sys

import pytest
import torch

from e2e_helpers import (mim_train, mmselfsup_train_script, run_cmd,
                         tiny_densecl_options)

HERE = osp.dirname(osp.abspath(__file__))


def _losses(log):
    return [float(v) for v in re.findall(r'\bloss: ([0-9.]+)', log)]


def _load(path):
    # Runner checkpoints hold mmengine objects: our own files, trusted.
    return torch.load(path, map_location='cpu', weights_only=False)


@pytest.mark.slow
def test_mim_train_densecl_coco_two_iterations(coco_tiny, tmp_path):
    log = mim_train('configs/densecl_r50_coco.py', tmp_path,
                    tiny_densecl_options(coco_tiny))
    assert 'Iter(train) [2/2]' in log or 'Epoch(train)   [1][2/2]' in log \
        or re.search(r'\[1\]\[2/2\]', log), log[-3000:]
    assert len(_losses(log)) >= 2
    assert all(torch.isfinite(torch.tensor(_losses(log))))
    ckpt = _load(tmp_path / 'epoch_1.pth')
    sd = ckpt['state_dict']
    # 2 iterations x batch 2 keys went into both queues
    assert int(sd['queue_ptr']) == 4 and int(sd['queue2_ptr']) == 4
    assert sd['queue'].shape == (16, 32)
    assert any(k.startswith('encoder_k.module.0.') for k in sd)


@pytest.mark.slow
def test_mim_train_mocov2_coco(coco_tiny, tmp_path):
    opts = [o for o in tiny_densecl_options(coco_tiny)
            if not o.startswith('model.neck.hid')]
    log = mim_train('configs/mocov2_r50_coco.py', tmp_path,
                    opts + ['model.neck.hid_channels=64'])
    assert len(_losses(log)) >= 2
    sd = _load(tmp_path / 'epoch_1.pth')['state_dict']
    assert int(sd['queue_ptr']) == 4
    assert 'queue2' not in sd


@pytest.mark.slow
def test_resume_continues_exactly(coco_tiny, tmp_path):
    cfg = osp.join(HERE, 'configs', 'densecl_deterministic.py')
    opts = tiny_densecl_options(coco_tiny)
    full, part = tmp_path / 'full', tmp_path / 'part'
    # uninterrupted: 2 epochs x 2 iterations
    mim_train(cfg, full, opts + ['train_cfg.max_epochs=2'])
    # killed after epoch 1 (iteration 2), then resumed to epoch 2
    mim_train(cfg, part, opts + ['train_cfg.max_epochs=1'])
    log = mim_train(cfg, part, opts + ['train_cfg.max_epochs=2'],
                    extra=['--resume'])
    assert 'resumed epoch: 1, iter: 2' in log.lower() or \
        re.search(r'resumed epoch: 1, iter: 2', log, re.I), log[-3000:]
    a = _load(full / 'epoch_2.pth')['state_dict']
    b = _load(part / 'epoch_2.pth')['state_dict']
    assert a.keys() == b.keys()
    assert int(a['queue_ptr']) == 8 and int(a['queue2_ptr']) == 8
    for k in a:
        if k.startswith(('queue', 'encoder_k', 'backbone', 'neck')):
            torch.testing.assert_close(a[k], b[k], rtol=0, atol=1e-6,
                                       msg=lambda m, k=k: f'{k}: {m}')


@pytest.mark.slow
def test_torchrun_two_cpu_processes_share_queues(coco_tiny, tmp_path):
    opts = tiny_densecl_options(coco_tiny) + [
        'train_cfg.max_epochs=2']
    env = dict(PYTHONPATH=HERE + os.pathsep + os.environ.get('PYTHONPATH', ''),
               OMP_NUM_THREADS='1')
    log = run_cmd([
        osp.join(osp.dirname(sys.executable), 'torchrun'),
        '--nproc_per_node', '2', '--master_port', '29533',
        mmselfsup_train_script(),
        osp.join(HERE, 'configs', 'densecl_dist_probe.py'),
        '--launcher', 'pytorch', '--work-dir', str(tmp_path),
        '--cfg-options', *opts], env=env)
    assert 'Distributed training: True' in log, log[-3000:]
    assert 'Epoch(train) [2][1/1]' in log, log[-3000:]
    q0 = torch.load(tmp_path / 'queues_rank0.pt')
    q1 = torch.load(tmp_path / 'queues_rank1.pt')
    # 2 epochs x 1 iteration x (2 ranks x batch 2) keys
    assert int(q0['queue_ptr']) == 8 and int(q0['queue2_ptr']) == 8
    for k in q0:
        torch.testing.assert_close(q0[k], q1[k], rtol=0, atol=0)
