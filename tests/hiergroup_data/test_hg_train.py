"""`mim train mmselfsup` on every HG config, 2 iterations on the CPU.

The real configs are shrunk by --cfg-options only (ResNet-18, matching neck
channels, 96 px views, batch 2, data roots and stores of the session's tiny
data set, whose hierarchies tools/build_hierarchy.py made).
"""
import math
import os
import os.path as osp
import re
import subprocess
import sys

import pytest
import torch

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

MIM = osp.join(osp.dirname(sys.executable), 'mim')
SIZE = 96
COMMON = [
    'train_dataloader.batch_size=2', 'train_dataloader.num_workers=0',
    'train_dataloader.persistent_workers=False', 'model.backbone.depth=18',
    'default_hooks.logger.interval=1', 'default_hooks.checkpoint.interval=1',
    'randomness.seed=0',
]
HG_MODEL = ['model.neck.in_channels=(256,512)', 'model.neck.mid_channels=32']


def momentum_model(hierarchy: int) -> list:
    """Small necks; ``hierarchy``: index of the Hierarchy objective."""
    return [
        'model.neck.in_channels=512', 'model.neck.hid_channels=64',
        'model.neck.out_channels=16', 'model.feat_dim=16',
        'model.queue_len=32',
        f'model.objectives.{hierarchy}.neck.in_channels=(256,512)',
        f'model.objectives.{hierarchy}.neck.mid_channels=32',
    ]


def crop_size(prefix):
    return f'{prefix}.pipeline.2.transforms.0.size={SIZE}'


def options(config, d):
    ds = 'train_dataloader.dataset'
    if config == 'configs/hiergroup_r50_voc-coco.py':
        # 2 VOC + 2 COCO images: 2 iterations in epoch 1
        return HG_MODEL + [
            f'{ds}.datasets.0.data_root={d["voc"]}',
            f'{ds}.datasets.0.store={d["voc_store"]}',
            f'{ds}.datasets.1.data_root={d["coco"]}',
            f'{ds}.datasets.1.store={d["coco_store"]}',
            crop_size(f'{ds}.datasets.0'), crop_size(f'{ds}.datasets.1'),
            'train_cfg.max_epochs=1'], 'epoch_1.pth'
    if config == 'configs/hiergroup_r50_voc-400e.py':
        # 2 VOC images: 1 iteration per epoch
        return HG_MODEL + [
            f'{ds}.data_root={d["voc"]}', f'{ds}.store={d["voc_store"]}',
            crop_size(ds), 'train_cfg.max_epochs=2'], 'epoch_2.pth'
    if config == 'configs/hiergroup-moco_r50_in1k-200e.py':
        # an image folder, as ImageNet's train/: 4 photos
        return momentum_model(1) + [
            f'{ds}.data_root={d["root"]}', f'{ds}.data_prefix.img_path=photos',
            f'{ds}.store={d["photos_store"]}', crop_size(ds),
            'train_cfg.max_epochs=1'], 'epoch_1.pth'
    if config == 'configs/hiergroup-densecl_r50_coco.py':
        return momentum_model(2) + [
            f'{ds}.data_root={d["coco"]}',
            f'{ds}.ann_file=annotations/instances_train2014.json',
            f'{ds}.data_prefix.img_path=train2014/',
            f'{ds}.store={d["coco_store"]}', crop_size(ds),
            'train_cfg.max_epochs=2'], 'epoch_2.pth'
    if config == 'configs/demo/hiergroup_demo.py':
        return [f'{ds}.data_prefix.img_path={d["photos"]}',
                f'{ds}.store={d["photos_store"]}', crop_size(ds),
                'model.neck.mid_channels=32',
                'train_cfg.max_iters=2'], 'iter_2.pth'
    raise KeyError(config)


CONFIGS = ['configs/hiergroup_r50_voc-coco.py',
           'configs/hiergroup_r50_voc-400e.py',
           'configs/hiergroup-moco_r50_in1k-200e.py',
           'configs/hiergroup-densecl_r50_coco.py',
           'configs/demo/hiergroup_demo.py']


@pytest.mark.slow
@pytest.mark.parametrize('config', CONFIGS)
def test_mim_train_two_iterations(config, hg_data, tmp_path):
    opts, ckpt = options(config, hg_data)
    cmd = [MIM, 'train', 'mmselfsup', config, '--work-dir', str(tmp_path),
           '--cfg-options', *COMMON, *opts]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True,
                          timeout=600,
                          env=dict(os.environ, PYTHONUNBUFFERED='1'))
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-6000:]
    # the log line of iteration 2 carries a finite HG loss
    second = [line for line in log.splitlines()
              if re.search(r'(\[1\]\[2/2\]|\[2\]\[1/1\]|Iter\(train\) \[2/2\])',
                           line) and 'loss_hg' in line]
    assert second, log[-4000:]
    loss_hg = float(re.search(r'loss_hg: ([-0-9.e]+)', second[0]).group(1))
    assert math.isfinite(loss_hg) and loss_hg > 0
    assert (tmp_path / ckpt).is_file()
    sd = torch.load(tmp_path / ckpt, map_location='cpu',
                    weights_only=False)['state_dict']
    # the hypercolumn was trained with ResNet-18's layer3 / layer4 widths
    neck = 'neck' if 'hiergroup_' in osp.basename(config) else 'hg_neck'
    assert sd[f'{neck}.lateral.0.conv.weight'].shape[1] == 256
    assert sd[f'{neck}.lateral.1.conv.weight'].shape[1] == 512
