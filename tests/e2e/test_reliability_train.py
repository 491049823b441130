"""A real `mim train` on NaN (issue 11, item 1) with a shipped config at
num_workers=0 and its persistent_workers=True left as is (item 14)."""
import os
import os.path as osp
import subprocess

import pytest

from e2e_helpers import BIN, ROOT, tiny_densecl_options


@pytest.mark.slow
def test_zero_std_stops_with_error_and_no_nan_checkpoint(coco_tiny, tmp_path):
    options = [o for o in tiny_densecl_options(coco_tiny)
               if not o.startswith('train_dataloader.persistent_workers')]
    options += ['model.data_preprocessor.std=[0,0,0]']
    proc = subprocess.run(
        [osp.join(BIN, 'mim'), 'train', 'mmselfsup',
         'configs/densecl_r50_coco.py', '--work-dir', str(tmp_path),
         '--cfg-options', *options],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
        env=dict(os.environ, PYTHONUNBUFFERED='1'))
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out[-3000:]
    # x / 0 is inf: the first step's loss is already NaN
    assert 'NonFiniteLossError: non-finite loss at iteration 1 (epoch 1)' \
        in out, out[-3000:]
    assert 'persistent_workers option needs' not in out
    assert 'loss_single=nan' in out, out[-3000:]
    assert not list(tmp_path.glob('*.pth'))  # no NaN checkpoint written
