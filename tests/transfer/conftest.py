"""Fixtures of the transfer tests: a real 2-iteration DenseCL R50 pre-training
checkpoint, its exports, and tiny VOC / COCO datasets built from photos."""
import os
import os.path as osp
import sys

import cv2
import pytest

HERE = osp.dirname(osp.abspath(__file__))
sys.path.insert(0, HERE)

import tiny_data  # noqa: E402
from transfer_paths import ROOT, run_name  # noqa: E402

sys.path.insert(0, osp.join(ROOT, 'tools', 'model_converters'))


@pytest.fixture(scope='session')
def transfer_root(tmp_path_factory):
    return str(tmp_path_factory.mktemp('transfer'))


@pytest.fixture(scope='session')
def pretrain_checkpoint(transfer_root):
    """configs/densecl_r50_coco.py (DenseCLAlgorithm, ResNet-50) trained for
    2 iterations by a Runner on 3 photos: a real Runner checkpoint, with
    message hub, optimizer state, queues and key encoder."""
    import dense_ssl  # noqa: F401  registers the dense_ssl scope
    from mmengine.config import Config
    from mmengine.runner import Runner
    photos = osp.join(transfer_root, 'photos')
    os.makedirs(photos, exist_ok=True)
    for it in tiny_data.photos():
        cv2.imwrite(osp.join(photos, it['name'] + '.jpg'), it['img'])
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'densecl_r50_coco.py'))
    cfg.model.queue_len = 16
    cfg.train_dataloader.update(
        batch_size=2, num_workers=0, persistent_workers=False)
    cfg.train_dataloader.dataset.update(
        data_root=photos, ann_file='', data_prefix=dict(img_path=''))
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=2)
    cfg.param_scheduler = []
    cfg.auto_scale_lr = None
    cfg.default_hooks.checkpoint = dict(
        type='CheckpointHook', interval=2, by_epoch=False)
    cfg.work_dir = osp.join(transfer_root, 'pretrain')
    cfg.experiment_name = run_name('pretrain')
    cfg.randomness = dict(seed=0)
    Runner.from_cfg(cfg).train()
    path = osp.join(cfg.work_dir, 'iter_2.pth')
    assert osp.isfile(path)
    return path


@pytest.fixture(scope='session')
def exported(pretrain_checkpoint, transfer_root):
    """The openmmlab-format export of the pre-training checkpoint."""
    import extract_backbone
    out = osp.join(transfer_root, 'backbone.pth')
    extract_backbone.export(pretrain_checkpoint, out)
    return out


@pytest.fixture(scope='session')
def voc_det_root(transfer_root):
    return tiny_data.make_voc_detection(osp.join(transfer_root, 'voc_det'))


@pytest.fixture(scope='session')
def coco_root(transfer_root):
    return tiny_data.make_coco(osp.join(transfer_root, 'coco'))


@pytest.fixture(scope='session')
def voc_seg(transfer_root):
    return tiny_data.make_voc_segmentation(osp.join(transfer_root, 'voc_seg'))


@pytest.fixture(scope='session')
def imagenet_root(transfer_root):
    return tiny_data.make_imagenet(osp.join(transfer_root, 'imagenet'))
