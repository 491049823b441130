"""Bad settings refused when built, naming the setting (issue 11, items 7,
8, 9, 14)."""
import copy
import json

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.runner import Runner

import dense_ssl  # noqa: F401
from dense_ssl.engine.hooks import DenseLossWarmupHook
from dense_ssl.image_lists import read_coco_images
from dense_ssl.registry import MODELS


def _build(config, **changes):
    cfg = copy.deepcopy(Config.fromfile(config).model.to_dict())
    for key, value in changes.items():
        *path, last = key.split('.')
        node = cfg
        for p in path:
            node = node[int(p)] if isinstance(node, list) else node[p]
        node[last] = value
    with DefaultScope.overwrite_default_scope('dense_ssl'):
        return MODELS.build(cfg)


DENSECL = 'configs/densecl_r50_coco.py'
HG = 'configs/hiergroup_r50_voc-400e.py'
HG_DENSECL = 'configs/hiergroup-densecl_r50_coco.py'


@pytest.mark.parametrize('value', [1.5, -0.1])
def test_loss_lambda_outside_unit_interval_refused(value):
    with pytest.raises(ValueError, match=rf'loss_lambda={value} must lie '):
        _build(DENSECL, loss_lambda=value, queue_len=256)
    with pytest.raises(ValueError, match='DenseLossWarmupHook: loss_lambda'):
        DenseLossWarmupHook(loss_lambda=value)


def test_loss_lambda_bounds_accepted():
    assert _build(DENSECL, loss_lambda=1.0, queue_len=256).loss_lambda == 1.0
    assert DenseLossWarmupHook(loss_lambda=0).loss_lambda == 0.0


def test_num_grid_zero_refused():
    with pytest.raises(ValueError, match='num_grid=0 must be None'):
        _build(DENSECL, **{'neck.num_grid': 0, 'queue_len': 256})


def test_neck_channels_must_match_backbone():
    # ResNet-18 layer4 has 512 channels, the shipped neck expects 2048
    with pytest.raises(ValueError, match=r'model.neck.in_channels=2048 does '
                       r'not match .*\(512,\) channels'):
        _build(DENSECL, **{'backbone.depth': 18, 'queue_len': 256})
    with pytest.raises(ValueError, match=r'in_channels=512 .*\(2048,\)'):
        _build(DENSECL, **{'neck.in_channels': 512, 'queue_len': 256})
    # HG: layer3 + layer4 of ResNet-18 are (256, 512), not (1024, 2048)
    with pytest.raises(ValueError,
                       match=r'in_channels=\(1024, 2048\) .*\(256, 512\)'):
        _build(HG, **{'backbone.depth': 18})
    with pytest.raises(ValueError, match=r'model.hg_neck.in_channels'):
        _build(HG_DENSECL, **{'objectives.2.neck.in_channels': [512, 2048],
                              'queue_len': 256})
    # matching settings still build
    _build(DENSECL, **{'backbone.depth': 18, 'neck.in_channels': 512,
                       'queue_len': 256})


def test_malformed_coco_json_names_the_file(tmp_path):
    bad = tmp_path / 'truncated.json'
    bad.write_text('{"images": [{"file_name": "a.jpg"')
    with pytest.raises(ValueError, match=rf'{bad} is not valid json'):
        read_coco_images(str(bad))
    missing = tmp_path / 'no_name.json'
    missing.write_text(json.dumps(dict(images=[dict(file_name='a.jpg'),
                                               dict(id=7)])))
    with pytest.raises(ValueError, match=rf'{missing}: images\[1\] has no '
                       '"file_name"'):
        read_coco_images(str(missing))
    good = tmp_path / 'ok.json'
    good.write_text(json.dumps(dict(images=[dict(file_name='b/c.jpg')])))
    assert read_coco_images(str(good)) == ['b/c.jpg']


def test_persistent_workers_off_without_workers():
    cfg = dict(dataset=[torch.ones(1)] * 4, batch_size=2, num_workers=0,
               persistent_workers=True,
               sampler=dict(type='DefaultSampler', shuffle=False))
    loader = Runner.build_dataloader(cfg)  # PyTorch alone raises here
    assert loader.persistent_workers is False
    assert cfg['persistent_workers'] is True  # the caller's dict untouched
    assert len(list(loader)) == 2  # 4 samples, batch 2
    with pytest.raises(ValueError, match='persistent_workers option needs'):
        torch.utils.data.DataLoader([1], num_workers=0,
                                    persistent_workers=True)
