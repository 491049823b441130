"""The example project reuses dense_ssl through _base_ and custom_imports."""
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
import torch

import dense_ssl  # noqa: F401  (allowlist for Runner checkpoints)

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CFG = 'projects/densecl_custom_images/configs/densecl_r50_custom.py'


def test_project_transform_crops_the_largest_square():
    sys.path.insert(0, ROOT)
    from projects.densecl_custom_images.transforms import RandomSquareCrop
    img = np.arange(6 * 10).reshape(6, 10)
    out = RandomSquareCrop(seed=0)(dict(img=img))
    y0, x0 = divmod(int(out['img'][0, 0]), 10)
    assert out['img'].shape == (6, 6) and out['img_shape'] == (6, 6)
    assert y0 == 0 and 0 <= x0 <= 4
    np.testing.assert_array_equal(out['img'], img[:, x0:x0 + 6])


@pytest.mark.slow
def test_project_config_trains_on_a_folder(tmp_path):
    from prepare_demo_data import write_demo_photos
    photos = write_demo_photos(str(tmp_path / 'imgs'))
    assert len(photos) >= 4
    for p in photos[4:]:  # 4 images, batch 2: 2 iterations
        os.remove(p)
    work = tmp_path / 'work'
    opts = [
        f'train_dataloader.dataset.data_root={tmp_path / "imgs"}',
        'train_dataloader.batch_size=2', 'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False',
        'model.backbone.depth=18', 'model.neck.in_channels=512',
        'model.neck.hid_channels=32', 'model.neck.out_channels=8',
        'model.feat_dim=8', 'model.queue_len=16', 'train_cfg.max_epochs=1',
        'default_hooks.logger.interval=1'
    ]
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep +
               os.environ.get('PYTHONPATH', ''))
    proc = subprocess.run(
        [osp.join(osp.dirname(sys.executable), 'mim'), 'train', 'mmselfsup',
         CFG, '--work-dir', str(work), '--cfg-options', *opts],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-4000:]
    assert '[1][2/2]' in log, log[-3000:]
    sd = torch.load(work / 'epoch_1.pth', map_location='cpu')['state_dict']
    assert int(sd['queue_ptr']) == 4 and sd['queue'].shape == (8, 16)
