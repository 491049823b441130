"""DenseCL (Wang et al., CVPR 2021) on the MoCo-v2 skeleton."""
import math
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple, Union

import torch
import torch.nn.functional as F
from mmengine.structures import BaseDataElement
from torch import Tensor

from dense_ssl.registry import MODELS
from mmselfsup.structures import SelfSupDataSample
from ..losses import combine_global_dense, dense_info_nce, info_nce
from ..utils import (check_loss_lambda, gather_positions, match_max_sim,
                     match_random, pool_to_grid)
from .momentum_contrast import EncodedViews, MomentumContrastBase

MATCHINGS = ('max_sim_backbone', 'max_sim_projection', 'random')


@dataclass
class DenseCLFeatures:
    """Both views encoded. Embeddings are L2-normalised along dim 1.

    Attributes:
        q: (N, D) global query embedding.
        q_grid: (N, D, S) dense query embedding, S = grid cells.
        q_map: (N, C, H, W) query backbone map (raw).
        k: (N, D) global key embedding.
        k_grid: (N, D, S) dense key embedding.
        k_pooled: (N, D) pooled dense key (what enters the dense queue).
        k_map: (N, C, H, W) key backbone map; None unless the matching
            uses it (saves an all-gather when distributed).
    """
    q: Tensor
    q_grid: Tensor
    q_map: Tensor
    k: Tensor
    k_grid: Tensor
    k_pooled: Tensor
    k_map: Optional[Tensor]


@MODELS.register_module()
class DenseCLAlgorithm(MomentumContrastBase):
    """DenseCL: MoCo-v2 plus a dense InfoNCE between matched grid cells.

    Loss: ``(1 - loss_lambda) * L_global + loss_lambda * L_dense`` as
    ``loss_single`` and ``loss_dense`` (MMSelfSup's names). The global queue
    ``queue`` holds global keys, the dense queue ``queue2`` the
    average-pooled dense keys (the authors' choice). State-dict keys equal
    MMSelfSup's ``DenseCL``: its checkpoints load (and resume) here and back.

    Compared with MMSelfSup's ``DenseCL``:
    - ``num_grid`` other than the backbone's grid works (there it crashes:
      the matching indices come from the 7 x 7 backbone grid while the
      gather runs on the pooled grid); see :func:`pool_to_grid`.
    - runs on one process without a process group (no shuffle needed).
    - every parameter receives a gradient in every step (also with
      ``loss_lambda = 0``, the dense term is multiplied, not skipped), so no
      ``find_unused_parameters=True`` is needed: DDP then skips its per-step
      search of the autograd graph.
    - no copy of the two queues per step (see
      :mod:`dense_ssl.models.losses.contrastive`).

    Args:
        loss_lambda: weight of the dense loss (0.5). Read every step, so
            :class:`~dense_ssl.engine.hooks.DenseLossWarmupHook` may change it.
        match: how the positive key cell of each query cell is found:
            ``'max_sim_backbone'`` (max-sim F of the paper, default): cosine
            argmax between the backbone maps pooled to the dense grid;
            ``'max_sim_projection'`` (max-sim Theta): between the dense
            embeddings; ``'random'``: a random cell, different per query cell.
        Others (backbone, neck, head, queue_len, feat_dim, momentum,
            temperature, batch_size, channels_last, pretrained,
            data_preprocessor, init_cfg): see :class:`MomentumContrastBase`.
            The neck must return ``[global, dense (N, D, S), pooled dense]``
            like ``DenseProjectionNeck``.
    """

    queue_names = ('queue', 'queue2')  # global keys, pooled dense keys

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 head: Optional[dict] = None,
                 queue_len: int = 65536,
                 feat_dim: int = 128,
                 momentum: float = 0.999,
                 loss_lambda: float = 0.5,
                 temperature: Optional[float] = None,
                 match: str = 'max_sim_backbone',
                 batch_size: Optional[int] = None,
                 channels_last: bool = False,
                 pretrained: Optional[str] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[Union[List[dict], dict]] = None) -> None:
        if match not in MATCHINGS:
            raise ValueError(
                f'match={match!r}; choose one of {MATCHINGS}')
        super().__init__(
            backbone=backbone,
            neck=neck,
            head=head,
            queue_len=queue_len,
            feat_dim=feat_dim,
            momentum=momentum,
            temperature=temperature,
            batch_size=batch_size,
            channels_last=channels_last,
            pretrained=pretrained,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
        self.loss_lambda = check_loss_lambda(loss_lambda, type(self).__name__)
        self.match = match

    def _features(self, enc: EncodedViews) -> DenseCLFeatures:
        q, q_grid, _ = enc.q_out  # pooled query is unused
        k, k_grid, k_pooled = enc.k_out
        idx = enc.idx_unshuffle
        with torch.no_grad():
            k = self._unshuffle(F.normalize(k, dim=1), idx)
            k_grid = self._unshuffle(F.normalize(k_grid, dim=1), idx)
            k_pooled = self._unshuffle(F.normalize(k_pooled, dim=1), idx)
            k_map = None
            if self.match == 'max_sim_backbone':
                k_map = self._unshuffle(enc.k_levels[-1], idx)
        return DenseCLFeatures(
            q=F.normalize(q, dim=1),
            q_grid=F.normalize(q_grid, dim=1),
            q_map=enc.q_levels[-1],
            k=k,
            k_grid=k_grid,
            k_pooled=k_pooled,
            k_map=k_map)

    @torch.no_grad()
    def match_positions(self, feats: DenseCLFeatures) -> Tensor:
        """(N, S) index of the positive key cell of every query cell."""
        n, _, s = feats.q_grid.shape
        if self.match == 'random':
            return match_random(n, s, feats.k_grid.size(2),
                                device=feats.q_grid.device)
        if self.match == 'max_sim_projection':
            return match_max_sim(feats.q_grid, feats.k_grid, normalize=False)
        grid = self._dense_grid(feats.q_map.shape[-2:], s)
        # Indices must live on the dense output's grid (see pool_to_grid).
        return match_max_sim(
            pool_to_grid(feats.q_map.detach(), grid),
            pool_to_grid(feats.k_map, grid))

    def _dense_grid(self, map_hw: Tuple[int, int],
                    cells: int) -> Tuple[int, int]:
        """(rows, cols) of the dense output, which has ``cells`` cells."""
        num_grid = getattr(self.neck, 'num_grid', None)
        if num_grid is not None:
            grid = (num_grid, num_grid)
        elif map_hw[0] * map_hw[1] == cells:  # the backbone's own grid
            grid = tuple(map_hw)
        else:
            side = math.isqrt(cells)
            grid = (side, side)
        if grid[0] * grid[1] != cells:
            raise ValueError(
                f'cannot place the {cells} dense cells of the neck on a grid '
                f'(backbone map {tuple(map_hw)}, neck num_grid={num_grid})')
        return grid

    def compute_losses(self, feats: DenseCLFeatures,
                       indices: Tensor) -> Dict[str, Tensor]:
        """Weighted global and dense InfoNCE terms."""
        loss_global = info_nce(feats.q, feats.k, self.queue, self.temperature)
        k_matched = gather_positions(feats.k_grid, indices)
        loss_dense = dense_info_nce(feats.q_grid, k_matched, self.queue2,
                                    self.temperature)
        return combine_global_dense(loss_global, loss_dense,
                                    self.loss_lambda)

    @torch.no_grad()
    def update_queues(self, feats: DenseCLFeatures) -> None:
        self._dequeue_and_enqueue('queue', feats.k)
        self._dequeue_and_enqueue('queue2', feats.k_pooled)

    def _loss_terms(self, feats: DenseCLFeatures,
                    data_samples: Optional[List[SelfSupDataSample]]
                    ) -> Dict[str, Tensor]:
        """Match the cells, then the weighted loss terms."""
        return self.compute_losses(feats, self.match_positions(feats))

    def predict(self, inputs: List[Tensor],
                data_samples: Optional[List[SelfSupDataSample]] = None,
                **kwargs) -> SelfSupDataSample:
        """Normalised backbone map of the first view, as MMSelfSup's DenseCL.

        The map is the first of those the neck receives (see
        :meth:`_neck_inputs`). Returns a :class:`SelfSupDataSample` whose
        ``q_grid.value`` is (N, C, H * W).
        """
        q_map = self._neck_inputs(self.extract_feat(inputs))[0]
        result = SelfSupDataSample()
        result.q_grid = BaseDataElement(
            value=F.normalize(q_map.flatten(2), dim=1))
        return result
