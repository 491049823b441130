"""tools/finetune.sh: usage errors, and one real CPU run through `mim train`
that starts from the FULL pre-training checkpoint (the script exports it)."""
import glob
import os
import os.path as osp
import subprocess
import sys

import pytest

from transfer_paths import BENCH, ROOT
from tiny_cfg import tiny_config

SCRIPT = osp.join(ROOT, 'tools', 'finetune.sh')
ASPP = osp.join(BENCH, 'mmsegmentation', 'voc12aug',
                'deeplabv3-aspp_r50-d8-frozen_4xb5-20k_voc12aug-384x384.py')


def run(args, env=None, timeout=60):
    env = dict(os.environ, PYTHON=sys.executable, **(env or {}))
    return subprocess.run(['bash', SCRIPT] + args, cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


def test_help_and_usage_errors(tmp_path):
    proc = run(['--help'])
    assert proc.returncode == 0 and 'Usage: tools/finetune.sh' in proc.stdout
    proc = run(['mmcls', ASPP, 'x.pth'])
    assert proc.returncode == 2 and 'mmdet or mmseg' in proc.stderr
    proc = run(['mmseg', ASPP, str(tmp_path / 'missing.pth')])
    assert proc.returncode == 2 and 'checkpoint not found' in proc.stderr


def override_config(voc_seg_root: str, work_dir: str, path: str) -> None:
    """A config inheriting the benchmark config, overriding data and
    schedule only, so that PRETRAINED is still read from the environment."""
    tiny = tiny_config(ASPP, voc_seg_root, work_dir, 'unused.pth', 'x',
                       iters=1)
    lines = [f'_base_ = {ASPP!r}',
             'model = dict(data_preprocessor=dict(size=(128, 128)))']
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader',
                'default_hooks'):
        value = dict(tiny[key].to_dict(), _delete_=True)
        lines.append(f'{key} = {value!r}')
    lines.append("train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', "
                 'max_iters=1, val_interval=1)')
    lines.append('randomness = dict(seed=0)')
    with open(path, 'w') as f:
        f.write('\n'.join(lines) + '\n')


@pytest.mark.slow
def test_cpu_run_through_mim_from_full_checkpoint(pretrain_checkpoint,
                                                  voc_seg, transfer_root):
    work_dir = osp.join(transfer_root, 'mim_aspp')
    cfg = osp.join(transfer_root, 'tiny_aspp.py')
    override_config(voc_seg[0], work_dir, cfg)
    proc = run(['mmseg', cfg, pretrain_checkpoint, '0'],
               env=dict(WORK_DIR=work_dir), timeout=400)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    assert 'ResNet-50: kept 318 backbone tensors' in out
    backbone = osp.join(work_dir, 'pretrained_backbone.pth')
    log = ''.join(open(f).read()
                  for f in glob.glob(osp.join(work_dir, '*', '*.log')))
    # mmengine's PretrainedInit read the export, through the PRETRAINED env
    assert f'load backbone. in model from: {backbone}' in log
    assert 'Iter(train) [1/1]' in log and 'mIoU: ' in log
