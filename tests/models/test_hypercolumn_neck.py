"""HypercolumnNeck: stride-4, 32-d output on ResNet-18 / ResNet-50 stages."""
import pytest
import torch
from mmengine.registry import DefaultScope

from dense_ssl.registry import MODELS


def build(cfg):
    with DefaultScope.overwrite_default_scope('dense_ssl'):
        return MODELS.build(cfg)


@pytest.mark.parametrize('depth,channels,size', [(18, (256, 512), 96),
                                                 (50, (1024, 2048), 64)])
def test_output_shape_on_real_backbone(depth, channels, size):
    backbone = build(dict(type='ResNet', depth=depth, out_indices=(3, 4)))
    neck = build(dict(type='HypercolumnNeck', in_channels=channels))
    feats = backbone(torch.randn(2, 3, size, size))
    assert [f.shape[1] for f in feats] == list(channels)
    out = neck(feats)
    assert len(out) == 1
    assert out[0].shape == (2, 32, size // 4, size // 4)


def test_224_gives_56_and_checks_levels():
    neck = build(dict(type='HypercolumnNeck', in_channels=(8, 16),
                      mid_channels=4, out_channels=5))
    out = neck([torch.randn(1, 8, 14, 14), torch.randn(1, 16, 7, 7)])[0]
    assert out.shape == (1, 5, 56, 56)
    # 3x3 Conv-BN-ReLU per stage, then one 3x3 conv on the concatenation.
    assert neck.lateral[0].conv.kernel_size == (3, 3)
    assert neck.embed.in_channels == 8 and neck.embed.kernel_size == (3, 3)
    with pytest.raises(ValueError, match='out_indices'):
        neck([torch.randn(1, 16, 7, 7)])
