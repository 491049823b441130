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
from dataclasses import dataclass, fields
from typing import Dict, List, Optional, Tuple

import torch
from torch import Tensor

from dense_ssl.registry import MODELS
from mmselfsup.structures import SelfSupDataSample
from ..sampling import HierarchySampler, collect_hg_targets
from ..utils import check_neck_matches_backbone
from .densecl import DenseCLAlgorithm, DenseCLFeatures
from .hiergroup import hierarchy_term
from .mocov2 import MoCoFeatures, MoCoV2Algorithm
from .momentum_contrast import EncodedViews, MomentumEncoder


class _HierarchyBranch:
    """Hypercolumn neck, its momentum copy and the HG loss of a batch.

    Mixed into a :class:`MomentumContrastBase` subclass (before it in the
    bases) whose backbone outputs several stages: the base's own neck is
    given the last one, the hypercolumn neck all of them. The features are
    the base's plus ``hg_q`` and ``hg_k``, as ``features_type``; the losses
    the base's plus ``loss_hg`` and ``hg_aug_valid``.

    Args:
        hg_neck: ``HypercolumnNeck`` config on the backbone's outputs.
        hg_head: ``HierarchyLossHead`` config (default: paper's form).
        hg_sampler: keyword arguments of ``HierarchySampler``.
        hg_weight: weight of the hierarchy loss (read every step).
        backbone, neck, **kwargs: the base's arguments.
    """

    features_type: type  # the base's features dataclass plus hg_q, hg_k

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 hg_neck: dict = dict(type='HypercolumnNeck'),
                 hg_head: Optional[dict] = None,
                 hg_sampler: Optional[dict] = None,
                 hg_weight: float = 1.0,
                 **kwargs) -> None:
        super().__init__(backbone=backbone, neck=neck, **kwargs)
        self.hg_neck = MODELS.build(hg_neck)
        check_neck_matches_backbone(self.hg_neck, self.backbone, 'hg_neck')
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

    def _neck_inputs(self, levels: Tuple[Tensor, ...]) -> Tuple[Tensor, ...]:
        """The base's neck (and DenseCL's matching) sees the last stage."""
        return levels[-1:]

    @torch.no_grad()
    def _momentum_update_key_encoder(self) -> None:
        super()._momentum_update_key_encoder()
        self.hg_neck_k.update_parameters(self.hg_neck)

    def _features(self, enc: EncodedViews):
        """The base's features plus both views' hypercolumn embeddings."""
        feats = super()._features(enc)
        with torch.no_grad():  # key view, back in batch order
            hg_k = self._unshuffle(self.hg_neck_k.module(enc.k_levels)[0],
                                   enc.idx_unshuffle)
        # Fields one by one: dataclasses.asdict would deep-copy the tensors.
        return self.features_type(
            **{f.name: getattr(feats, f.name) for f in fields(feats)},
            hg_q=self.hg_neck(enc.q_levels)[0], hg_k=hg_k)

    def _loss_terms(self, feats,
                    data_samples: Optional[List[SelfSupDataSample]]
                    ) -> Dict[str, Tensor]:
        """The base's terms plus the weighted hierarchy loss."""
        losses = super()._loss_terms(feats, data_samples)
        targets = collect_hg_targets(data_samples, feats.hg_q.device)
        # Cross-image negatives only from the query view (they get grad).
        loss, aug_frac = hierarchy_term([feats.hg_q, feats.hg_k.detach()],
                                        targets, self.hg_sampler,
                                        self.hg_head, directions=((0, 1), ),
                                        cns_views=(0, ))
        losses.update(loss_hg=self.hg_weight * loss, hg_aug_valid=aug_frac)
        return losses


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

    features_type = HierGroupMoCoFeatures


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
        matching uses layer4 as in DenseCL, and so does ``predict``.
    """

    features_type = HierGroupDenseCLFeatures
