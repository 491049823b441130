"""QueueLengthCheckHook: the small-data warning (issue 12, item 2)."""
import glob
import os.path as osp

import cv2
import pytest

from dense_ssl.engine.hooks.queue_length_hook import (advised_queue_len,
                                                      queue_warning)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


@pytest.mark.parametrize('n, batch, advice', [
    (64, 16, 32),      # half the images, already a multiple of the batch
    (100, 16, 48),     # 50 -> the multiple of 16 below it
    (1000, 256, 256),  # 500 -> 256
    (8, 4, 4),
    (5, 4, 4),         # fewer than two batches: one batch
])
def test_advised_queue_len(n, batch, advice):
    assert advised_queue_len(n, batch) == advice


def test_warning_names_both_numbers_and_the_setting():
    msg = queue_warning(65536, 64, 16)
    assert msg.startswith('model.queue_len=65536 is longer than the 64 '
                          'training images')
    assert 'about 1024 keys of every image' in msg  # 65536 / 64
    assert '--cfg-options model.queue_len=32' in msg
    assert queue_warning(64, 64, 16) is None  # not longer: no warning
    assert queue_warning(32, 64, 16) is None


def test_runner_logs_the_warning_at_start_up(tmp_path):
    """A real Runner of configs/densecl_r50_coco.py on 3 photos with its
    default queue (65536) warns before the first iteration."""
    import dense_ssl  # noqa: F401
    from mmengine.config import Config
    from mmengine.runner import Runner
    from prepare_demo_data import demo_photos
    photos = tmp_path / 'photos'
    photos.mkdir()
    for name, img in sorted(demo_photos().items())[:3]:
        cv2.imwrite(str(photos / f'{name}.jpg'), cv2.resize(img, (64, 64)))
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'densecl_r50_coco.py'))
    cfg.model.backbone.depth = 18
    cfg.model.neck.update(in_channels=512, hid_channels=32, out_channels=8)
    cfg.model.feat_dim = 8
    cfg.train_dataloader.update(batch_size=1, num_workers=0,
                                persistent_workers=False)
    cfg.train_dataloader.dataset.update(
        data_root=str(photos), ann_file='', data_prefix=dict(img_path=''))
    cfg.work_dir = str(tmp_path / 'work')
    cfg.experiment_name = f'queue_hook_{tmp_path.name}'
    runner = Runner.from_cfg(cfg)
    _ = runner.train_loop  # builds the dataloader, as train() does first
    runner.call_hook('before_train')
    log, = glob.glob(osp.join(cfg.work_dir, '*', '*.log'))
    with open(log) as f:
        text = f.read()
    assert ('model.queue_len=65536 is longer than the 3 training images: '
            'the queue holds about 21845 keys of every image') in text
    assert 'e.g. `--cfg-options model.queue_len=1`' in text
