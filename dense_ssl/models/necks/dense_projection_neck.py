"""DenseCL's projection neck: a global MLP and a dense 1x1-conv MLP."""
from typing import List, Optional, Union

import torch.nn as nn
from mmengine.model import BaseModule
from torch import Tensor

from dense_ssl.registry import MODELS

from ..utils.validation import check_num_grid


@MODELS.register_module()
class DenseProjectionNeck(BaseModule):
    """Global branch and dense branch of DenseCL, in parallel.

    Global: avgpool -> Linear -> ReLU -> Linear. Dense: (optional adaptive
    pooling to ``num_grid`` x ``num_grid``) -> Conv1x1 -> ReLU -> Conv1x1.
    Sub-module names (``mlp``, ``mlp2``) are those of MMSelfSup's
    ``DenseCLNeck``, so state dicts load both ways; the outputs are the same
    three tensors in the same order.

    Args:
        in_channels: channels of the backbone map (2048 for ResNet-50 C5).
        hid_channels: hidden width of both MLPs.
        out_channels: embedding size (128 in the paper).
        num_grid: pool the backbone map to this grid before the dense MLP;
            None keeps the backbone's own grid (7 x 7 at 224 px).
        init_cfg: mmengine initialisation config.
    """

    def __init__(self,
                 in_channels: int,
                 hid_channels: int,
                 out_channels: int,
                 num_grid: Optional[int] = None,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(init_cfg)
        check_num_grid(num_grid)
        self.num_grid = num_grid
        self.mlp = nn.Sequential(
            nn.Linear(in_channels, hid_channels), nn.ReLU(inplace=True),
            nn.Linear(hid_channels, out_channels))
        self.with_pool = num_grid is not None
        if self.with_pool:
            self.pool = nn.AdaptiveAvgPool2d((num_grid, num_grid))
        self.mlp2 = nn.Sequential(
            nn.Conv2d(in_channels, hid_channels, 1), nn.ReLU(inplace=True),
            nn.Conv2d(hid_channels, out_channels, 1))

    def forward(self, x: List[Tensor]) -> List[Tensor]:
        """Project the last backbone map.

        Args:
            x: backbone outputs; exactly one (N, C_in, H, W) map.

        Returns:
            ``[global (N, D), dense (N, D, S^2), pooled dense (N, D)]``
            (unnormalised), S = ``num_grid`` or H. The pooled dense vector is
            what DenseCL puts into its dense queue.
        """
        if len(x) != 1:
            raise ValueError(
                f'DenseProjectionNeck takes one backbone map, got {len(x)}; '
                'set the backbone out_indices to the last stage only')
        x = x[0]
        # mean() instead of an AdaptiveAvgPool2d module: same numbers, and
        # it works on channels_last maps without a reshape copy.
        global_out = self.mlp(x.mean(dim=(2, 3)))
        if self.with_pool:
            x = self.pool(x)
        dense = self.mlp2(x).flatten(2)  # (N, D, S^2)
        return [global_out, dense, dense.mean(dim=2)]
