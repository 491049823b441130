"""Hypercolumn embedding of HG (Zhang & Maire 2020, sec. 4.2)."""
from typing import List, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from torch import Tensor

from dense_ssl.registry import MODELS


@MODELS.register_module()
class HypercolumnNeck(BaseModule):
    """Project several backbone stages to one stride-4 embedding map.

    Paper: "a single 3x3 Conv-BN-ReLU block to project the last outputs of
    the Res3 and Res4 blocks into 256-channel feature maps ... interpolated
    to match the spatial resolution of a 4x downsampled input image before
    concatenation ... a single 3x3 convolution layer, to produce a final
    32-channel feature map". We read Res3/Res4 as the third and fourth
    residual stages counted from 1, i.e. ``layer3`` (conv4_x, stride 16,
    1024 ch) and ``layer4`` (conv5_x, stride 32, 2048 ch): with Detectron's
    res2..res5 naming ``layer4`` would get no gradient at all, yet the
    paper evaluates the whole pre-trained ResNet-50. With MMSelfSup's
    ``ResNet`` (index 0 = stem) set ``out_indices=(3, 4)``; with mmcls's
    ``ResNet`` it is ``(2, 3)``.

    Args:
        in_channels: channels of the backbone outputs, in order
            ((1024, 2048) for ResNet-50; (256, 512) for ResNet-18).
        in_strides: their strides relative to the input (16, 32).
        mid_channels: channels of each projected stage (256).
        out_channels: embedding size (32).
        out_stride: stride of the output map (4).
        norm_cfg: normalisation of the Conv-BN-ReLU blocks.
        init_cfg: mmengine initialisation config.
    """

    def __init__(self,
                 in_channels: Sequence[int] = (1024, 2048),
                 in_strides: Sequence[int] = (16, 32),
                 mid_channels: int = 256,
                 out_channels: int = 32,
                 out_stride: int = 4,
                 norm_cfg: dict = dict(type='BN'),
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        if len(in_channels) != len(in_strides) or not in_channels:
            raise ValueError(f'in_channels {tuple(in_channels)} and '
                             f'in_strides {tuple(in_strides)} must have the '
                             'same, non-zero length')
        self.in_channels = tuple(in_channels)
        self.in_strides = tuple(in_strides)
        self.out_stride = out_stride
        self.lateral = torch.nn.ModuleList(
            ConvModule(c, mid_channels, 3, padding=1, norm_cfg=norm_cfg,
                       act_cfg=dict(type='ReLU')) for c in in_channels)
        self.embed = torch.nn.Conv2d(mid_channels * len(in_channels),
                                     out_channels, 3, padding=1)

    def _out_size(self, x: Tensor, stride: int) -> Tuple[int, int]:
        scale = stride / self.out_stride
        return round(x.shape[-2] * scale), round(x.shape[-1] * scale)

    def forward(self, inputs: Sequence[Tensor]) -> List[Tensor]:
        """Backbone outputs -> ``[embedding (N, out_channels, H/4, W/4)]``.

        The output size is derived from the first input and its stride
        (14 x 14 at stride 16 -> 56 x 56 for a 224 px image). The embedding
        is not normalised (the loss uses cosine similarity).
        """
        if len(inputs) != len(self.in_channels):
            raise ValueError(
                f'HypercolumnNeck expects {len(self.in_channels)} backbone '
                f'outputs with channels {self.in_channels}, got {len(inputs)}'
                ': set the backbone out_indices accordingly (MMSelfSup '
                'ResNet: out_indices=(3, 4))')
        size = self._out_size(inputs[0], self.in_strides[0])
        maps = [
            F.interpolate(lat(x), size=size, mode='bilinear',
                          align_corners=False)
            for lat, x in zip(self.lateral, inputs)
        ]
        return [self.embed(torch.cat(maps, dim=1))]
