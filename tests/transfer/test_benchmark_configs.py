"""Each benchmark config, on tiny data, with the exported DenseCL R50 backbone:
init loads exactly the exported tensors, 2 training iterations run, the frozen
configs (segmentation ASPP, ImageNet linear) keep their backbone unchanged,
and evaluation logs its metric."""
import glob
import os.path as osp

import pytest
import torch

from transfer_paths import BENCH, run_name
from tiny_cfg import tiny_config

CONFIGS = {
    'voc_c4': ('mmdetection/voc0712/faster-rcnn_r50-c4_8xb2-ms-24k_voc0712.py',
               'voc_det_root', 'pascal_voc/mAP'),
    'coco_fpn': (
        'mmdetection/coco/mask-rcnn_r50-fpn_syncbn_8xb2-ms-1x_coco.py',
        'coco_root', 'coco/segm_mAP'),
    'voc_fcn': (
        'mmsegmentation/voc12aug/fcn_r50-d8_4xb4-20k_voc12aug-512x512.py',
        'voc_seg', 'mIoU'),
    'voc_aspp_frozen': (
        'mmsegmentation/voc12aug/'
        'deeplabv3-aspp_r50-d8-frozen_4xb5-20k_voc12aug-384x384.py',
        'voc_seg', 'mIoU'),
    'in1k_linear': (
        'mmclassification/imagenet/resnet50_linear-8xb32-steplr-100e_in1k.py',
        'imagenet_root', 'accuracy/top1'),
}
FROZEN = ('voc_aspp_frozen', 'in1k_linear')


def pretrained_part(model) -> dict:
    """The model's tensors that come from the pre-trained ResNet, named as in
    the export (``backbone.*``). In R50-C4 res5 (layer4) is the RoI head."""
    out = {'backbone.' + k: v for k, v in model.backbone.state_dict().items()}
    shared = getattr(getattr(model, 'roi_head', None), 'shared_head', None)
    if shared is not None:
        out.update({'backbone.' + k: v for k, v in shared.state_dict().items()
                    if k.startswith('layer4.')})
    return out


def assert_equal_weights(got: dict, want: dict) -> None:
    assert sorted(got) == sorted(want), (
        f'missing {sorted(set(want) - set(got))[:5]}, '
        f'unexpected {sorted(set(got) - set(want))[:5]}')
    for k, v in want.items():
        assert torch.equal(got[k].cpu(), v), k


@pytest.mark.slow
@pytest.mark.parametrize('name', list(CONFIGS))
def test_benchmark_config(name, exported, transfer_root, request):
    from mmengine.runner import Runner
    config, data_fixture, metric = CONFIGS[name]
    data = request.getfixturevalue(data_fixture)
    data_root = data[0] if isinstance(data, tuple) else data
    work_dir = osp.join(transfer_root, 'work', name)
    cfg = tiny_config(osp.join(BENCH, config), data_root, work_dir, exported,
                      run_name(name))
    assert cfg.model.backbone.init_cfg.checkpoint == exported
    runner = Runner.from_cfg(cfg)
    model = runner.model
    # not distributed: the Runner has reverted every SyncBN
    assert not any(isinstance(m, torch.nn.SyncBatchNorm)
                   for m in model.modules())
    model.init_weights()  # runner.train() will not repeat it
    want = torch.load(exported, weights_only=True)['state_dict']
    assert_equal_weights(pretrained_part(model), want)

    head = next(getattr(model, k) for k in ('decode_head', 'roi_head', 'head')
                if hasattr(model, k))
    head_before = {k: v.clone() for k, v in head.state_dict().items()}
    runner.train()
    if name in FROZEN:
        # frozen: weights AND BN statistics unchanged after SGD steps
        assert_equal_weights(pretrained_part(model), want)
        assert not any(p.requires_grad for p in model.backbone.parameters())
    else:
        assert any(not torch.equal(v, want[k])
                   for k, v in pretrained_part(model).items())
    assert any(not torch.equal(v, head_before[k])
               for k, v in head.state_dict().items()), 'head did not train'

    metrics = runner.val()
    assert metric in metrics and 0 <= metrics[metric] <= 100
    log = ''.join(open(f).read() for f in glob.glob(
        osp.join(work_dir, '*', '*.log')))
    assert f'{metric}: ' in log

