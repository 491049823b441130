"""HG's pixel objective added to MoCo-v2 and to DenseCL.

``HierGroupMoCo`` is the paper's "Ours†" (Table 1: "simply adding our
pixel-wise contrastive target on top of MoCo"); ``HierGroupDenseCL`` adds
the same term to DenseCL (region-aware dense contrastive learning; no
released system has it). The paper gives no further detail of Ours†, so:

- A hypercolumn neck (``hg_neck``) sits on the query backbone's layer3 and
  layer4 next to the MoCo / DenseCL neck, which sees layer4 only. The
  backbone must therefore output both stages (``out_indices=(3, 4)``).
- Anchors, Pos, Neg and cross-image negatives come from the query view's
  hypercolumn (with grad). Pos_aug / Neg_aug come from the key view,
  embedded by a momentum copy of the hypercolumn neck on the key encoder's
  backbone (no grad), in the spirit of MoCo's keys.
- loss = MoCo (or DenseCL) terms + ``hg_weight`` x hierarchy loss, logged
  as ``loss_hg`` (already weighted).

For DenseCL the hierarchy term is *not* put on the dense branch: that is a
7 x 7 grid at stride 32 at 224 px, where one leaf region of a UCM (tens per
image) covers about one cell, so region-level sampling would degenerate.
The stride-4 hypercolumn keeps the paper's design and leaves DenseCL's own
terms exactly as they are.
"""
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple, Union

import torch
import torch.nn.functional as F
from mmengine.structures import BaseDataElement
from torch import Tensor

from dense_ssl.registry import MODELS
from mmselfsup.structures import SelfSupDataSample
from ..sampling import HierarchySampler, collect_hg_targets
from ..utils import batch_shuffle_ddp
from .densecl import DenseCLAlgorithm, DenseCLFeatures
from .hiergroup import hierarchy_term
from .mocov2 import MoCoFeatures, MoCoV2Algorithm
from .momentum_contrast import MomentumEncoder


class _HierarchyBranch:
    """Hypercolumn neck, its momentum copy and the HG loss of a batch.

    Mixed into a :class:`MomentumContrastBase` subclass (before it in the
    bases) whose backbone outputs several stages: the base's own neck is
    given the last one.
    """

    def _init_hierarchy(self, hg_neck: dict, hg_head: Optional[dict],
                        hg_sampler: Optional[dict], hg_weight: float) -> None:
        self.hg_neck = MODELS.build(hg_neck)
        self.hg_head = MODELS.build(
            hg_head if hg_head is not None else dict(
                type='HierarchyLossHead'))
        self.hg_sampler = HierarchySampler(**(hg_sampler or {}))
        self.hg_weight = hg_weight
        if self.channels_last:
            self.hg_neck.to(memory_format=torch.channels_last)
        # Same momentum as the key encoder (stored there as 1 - m).
        self.hg_neck_k = MomentumEncoder(self.hg_neck,
                                         self.encoder_k.momentum)

    @torch.no_grad()
    def _momentum_update_key_encoder(self) -> None:
        super()._momentum_update_key_encoder()
        self.hg_neck_k.update_parameters(self.hg_neck)

    @torch.no_grad()
    def _encode_keys(
            self, im_k: Tensor
    ) -> Tuple[Tuple[Tensor, ...], List[Tensor], Optional[Tensor]]:
        """As the base's, but the base neck sees the last stage only."""
        self._momentum_update_key_encoder()
        im_k, idx_unshuffle = batch_shuffle_ddp(im_k)
        backbone_k, neck_k = self.encoder_k.module
        k_levels = backbone_k(self._memory_format(im_k))
        return k_levels, neck_k(k_levels[-1:]), idx_unshuffle

    @torch.no_grad()
    def _hg_keys(self, k_levels: Tuple[Tensor, ...],
                 idx_unshuffle: Optional[Tensor]) -> Tensor:
        """Key-view hypercolumn embedding, back in batch order."""
        return self._unshuffle(self.hg_neck_k.module(k_levels)[0],
                               idx_unshuffle)

    def _hierarchy_losses(self, hg_q: Tensor, hg_k: Tensor,
                          data_samples: Optional[List[SelfSupDataSample]]
                          ) -> Dict[str, Tensor]:
        targets = collect_hg_targets(data_samples, hg_q.device)
        # Cross-image negatives only from the query view (they get grad).
        loss, aug_frac = hierarchy_term([hg_q, hg_k.detach()], targets,
                                        self.hg_sampler, self.hg_head,
                                        directions=((0, 1), ),
                                        cns_views=(0, ))
        return dict(loss_hg=self.hg_weight * loss, hg_aug_valid=aug_frac)


@dataclass
class HierGroupMoCoFeatures(MoCoFeatures):
    """MoCo features plus hypercolumn embeddings (N, D, H/4, W/4).

    Attributes:
        hg_q: query view, with grad. hg_k: key view, momentum encoder.
    """
    hg_q: Tensor
    hg_k: Tensor


@MODELS.register_module()
class HierGroupMoCo(_HierarchyBranch, MoCoV2Algorithm):
    """MoCo-v2 + HG pixel loss (the paper's "Ours†").

    Args:
        hg_neck: ``HypercolumnNeck`` config on the backbone's outputs.
        hg_head: ``HierarchyLossHead`` config (default: paper's form).
        hg_sampler: keyword arguments of ``HierarchySampler``.
        hg_weight: weight of the hierarchy loss (read every step).
        Others: see :class:`MoCoV2Algorithm`; the backbone must output
        layer3 and layer4 (MMSelfSup ResNet ``out_indices=(3, 4)``).
    """

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 hg_neck: dict = dict(type='HypercolumnNeck'),
                 hg_head: Optional[dict] = None,
                 hg_sampler: Optional[dict] = None,
                 hg_weight: float = 1.0,
                 **kwargs) -> None:
        super().__init__(backbone=backbone, neck=neck, **kwargs)
        self._init_hierarchy(hg_neck, hg_head, hg_sampler, hg_weight)

    def compute_features(self, inputs: List[Tensor]) -> HierGroupMoCoFeatures:
        im_q, im_k = self._views(inputs)
        q_levels = self.backbone(im_q)
        q = F.normalize(self.neck(q_levels[-1:])[0], dim=1)
        k_levels, k_out, idx = self._encode_keys(im_k)
        with torch.no_grad():
            k = self._unshuffle(F.normalize(k_out[0], dim=1), idx)
            hg_k = self._hg_keys(k_levels, idx)
        return HierGroupMoCoFeatures(
            q=q, k=k, q_backbone=q_levels,
            hg_q=self.hg_neck(q_levels)[0], hg_k=hg_k)

    def loss(self, inputs: List[Tensor],
             data_samples: Optional[List[SelfSupDataSample]] = None,
             **kwargs) -> Dict[str, Tensor]:
        feats = self.compute_features(inputs)
        losses = self.compute_losses(feats)
        losses.update(self._hierarchy_losses(feats.hg_q, feats.hg_k,
                                             data_samples))
        self.update_queues(feats)
        return losses


@dataclass
class HierGroupDenseCLFeatures(DenseCLFeatures):
    """DenseCL features plus hypercolumn embeddings (see HierGroupMoCo)."""
    hg_q: Tensor
    hg_k: Tensor


@MODELS.register_module()
class HierGroupDenseCL(_HierarchyBranch, DenseCLAlgorithm):
    """DenseCL + HG pixel loss on a hypercolumn beside the dense branch.

    Args:
        hg_neck, hg_head, hg_sampler, hg_weight: as :class:`HierGroupMoCo`.
        Others: see :class:`DenseCLAlgorithm`; the backbone must output
        layer3 and layer4 (MMSelfSup ResNet ``out_indices=(3, 4)``); the
        matching uses layer4 as in DenseCL.
    """

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 hg_neck: dict = dict(type='HypercolumnNeck'),
                 hg_head: Optional[dict] = None,
                 hg_sampler: Optional[dict] = None,
                 hg_weight: float = 1.0,
                 **kwargs) -> None:
        super().__init__(backbone=backbone, neck=neck, **kwargs)
        self._init_hierarchy(hg_neck, hg_head, hg_sampler, hg_weight)

    def compute_features(self,
                         inputs: List[Tensor]) -> HierGroupDenseCLFeatures:
        im_q, im_k = self._views(inputs)
        q_levels = self.backbone(im_q)
        q, q_grid, _ = self.neck(q_levels[-1:])
        k_levels, (k, k_grid, k_pooled), idx = self._encode_keys(im_k)
        with torch.no_grad():
            k = self._unshuffle(F.normalize(k, dim=1), idx)
            k_grid = self._unshuffle(F.normalize(k_grid, dim=1), idx)
            k_pooled = self._unshuffle(F.normalize(k_pooled, dim=1), idx)
            k_map = None
            if self.match == 'max_sim_backbone':
                k_map = self._unshuffle(k_levels[-1], idx)
            hg_k = self._hg_keys(k_levels, idx)
        return HierGroupDenseCLFeatures(
            q=F.normalize(q, dim=1),
            q_grid=F.normalize(q_grid, dim=1),
            q_map=q_levels[-1],
            k=k, k_grid=k_grid, k_pooled=k_pooled, k_map=k_map,
            hg_q=self.hg_neck(q_levels)[0], hg_k=hg_k)

    def loss(self, inputs: List[Tensor],
             data_samples: Optional[List[SelfSupDataSample]] = None,
             **kwargs) -> Dict[str, Tensor]:
        feats = self.compute_features(inputs)
        losses = self.compute_losses(feats, self.match_positions(feats))
        losses.update(self._hierarchy_losses(feats.hg_q, feats.hg_k,
                                             data_samples))
        self.update_queues(feats)
        return losses

    def predict(self, inputs: List[Tensor],
                data_samples: Optional[List[SelfSupDataSample]] = None,
                **kwargs) -> SelfSupDataSample:
        """As DenseCL's (``q_grid.value``: normalised (N, C, H * W) map of
        the first view), on the last backbone stage."""
        q_map = self.extract_feat(inputs)[-1]
        result = SelfSupDataSample()
        result.q_grid = BaseDataElement(
            value=F.normalize(q_map.flatten(2), dim=1))
        return result
