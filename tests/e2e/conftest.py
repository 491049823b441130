"""Tiny real-photo datasets in COCO layout, and a `mim train` runner."""
import json
import os
import os.path as osp
import subprocess
import sys

import cv2
import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
BIN = osp.dirname(sys.executable)
MMSELFSUP_TRAIN = None


def mmselfsup_train_script():
    import mmselfsup
    return osp.join(osp.dirname(mmselfsup.__file__), '.mim', 'tools',
                    'train.py')


@pytest.fixture(scope='session')
def coco_tiny(tmp_path_factory):
    """4 packaged photos (long side 160) as COCO train2017 + its json."""
    from prepare_demo_data import demo_photos
    root = tmp_path_factory.mktemp('coco')
    (root / 'train2017').mkdir()
    (root / 'annotations').mkdir()
    images = []
    for i, (name, img) in enumerate(sorted(demo_photos().items())[:4]):
        scale = 160 / max(img.shape[:2])
        img = cv2.resize(img, None, fx=scale, fy=scale,
                         interpolation=cv2.INTER_AREA)
        cv2.imwrite(str(root / 'train2017' / f'{name}.jpg'), img)
        images.append(dict(id=i + 1, file_name=f'{name}.jpg',
                           height=img.shape[0], width=img.shape[1]))
    with open(root / 'annotations' / 'instances_train2017.json', 'w') as f:
        json.dump(dict(images=images, annotations=[], categories=[]), f)
    return root


def tiny_densecl_options(data_root):
    """--cfg-options that shrink a DenseCL/MoCo-v2 config to a CPU test:
    ResNet-18, batch 2, 4 images -> 2 iterations per epoch."""
    return [
        f'train_dataloader.dataset.data_root={data_root}',
        'train_dataloader.batch_size=2', 'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False',
        'model.backbone.depth=18', 'model.neck.in_channels=512',
        'model.neck.hid_channels=64', 'model.neck.out_channels=16',
        'model.feat_dim=16', 'model.queue_len=32',
        'train_cfg.max_epochs=1', 'default_hooks.logger.interval=1',
        'default_hooks.checkpoint.interval=1', 'randomness.seed=0',
    ]


def run_cmd(cmd, timeout=600, env=None):
    full_env = dict(os.environ, PYTHONUNBUFFERED='1', **(env or {}))
    proc = subprocess.run(
        cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
        env=full_env)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, f'{cmd} failed:\n{out[-6000:]}'
    return out


def mim_train(config, work_dir, options, extra=()):
    return run_cmd([osp.join(BIN, 'mim'), 'train', 'mmselfsup', config,
                    '--work-dir', str(work_dir), *extra,
                    '--cfg-options', *options])
