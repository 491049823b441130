"""Hierarchy objective: HG's region-tree pixel contrast on a hypercolumn.

Zhang & Maire, NeurIPS 2020 (sec. 3 and 4.2). :func:`hierarchy_term` is the
loss of a batch from the embedding maps of its views; the siamese
:class:`~dense_ssl.models.algorithms.HierGroup` calls it on one shared
encoder, :class:`Hierarchy` adds it to a momentum-contrast model.
"""
from typing import Optional, Sequence, Tuple

import torch
import torch.nn as nn
from torch import Tensor

from dense_ssl.registry import MODELS
from ..sampling import (HGTargets, HierarchySampler, collect_hg_targets,
                        downsample_labels, reference_indices)
from ..utils import check_neck_matches_backbone
from .base import EncodedViews, Objective, ObjectiveOutput


def gather_rows(maps: Sequence[Tensor], rows: Tensor) -> Tensor:
    """Embeddings at rows ``(b * V + v) * P + p`` of :func:`reference_indices`.

    Args:
        maps: V maps (N, D, P), one per view.
        rows: any shape (...) of row numbers.

    Returns:
        (..., D). Gathers from each map instead of stacking them into one
        table: no copy of the full maps, forward or backward.
    """
    num_pix = maps[0].shape[-1]
    bv, pix = rows // num_pix, rows % num_pix
    img, view = bv // len(maps), bv % len(maps)
    out = maps[0][img, :, pix]
    for v in range(1, len(maps)):
        out = torch.where((view == v)[..., None], maps[v][img, :, pix], out)
    return out


def hierarchy_term(embeddings: Sequence[Tensor], targets: HGTargets,
                   sampler: HierarchySampler, head: nn.Module,
                   directions: Sequence[Tuple[int, int]] = ((0, 1), ),
                   cns_views: Sequence[int] = (0, 1),
                   generator: Optional[torch.Generator] = None
                   ) -> Tuple[Tensor, Tensor]:
    """HG loss of a batch from the embedding maps of its views.

    Args:
        embeddings: one (N, D, h, w) map per view (view 0 = ``inputs[0]``).
            Maps without grad (momentum-encoder keys) may serve as
            references; anchors should come from maps with grad.
        targets: grouping targets of the batch (:func:`collect_hg_targets`).
        sampler: draws anchors and Pos / Neg / Pos_aug / Neg_aug / cns.
        head: :class:`~dense_ssl.models.heads.HierarchyLossHead`.
        directions: (anchor view, augmented-reference view) pairs; their
            anchors enter one loss together.
        cns_views: views that cross-image negatives are taken from.
        generator: random generator (None: the global one).

    Returns:
        The loss and, for logging, the fraction of Pos_aug that fell inside
        the other view.
    """
    n, d, h, w = embeddings[0].shape
    labels = downsample_labels(targets.labels, (h, w))
    parts = []
    for src, dst in directions:
        s = sampler(labels, targets.dist, targets.dist_valid, targets.boxes,
                    targets.flips, src=src, dst=dst, cns_views=cns_views,
                    generator=generator)
        parts.append(reference_indices(s, len(embeddings), h * w))
    anchor, pos, pos_mask, neg, neg_mask = (torch.cat(t)
                                            for t in zip(*parts))
    maps = [e.flatten(2) for e in embeddings]
    loss = head(gather_rows(maps, anchor), gather_rows(maps, pos),
                gather_rows(maps, neg), pos_mask, neg_mask)
    k = pos_mask.shape[1] // 2
    aug_frac = pos_mask[:, k:].float().mean().detach()
    return loss, aug_frac


@MODELS.register_module()
class Hierarchy(Objective):
    """HG's pixel loss on a hypercolumn of the query backbone.

    Registers on the model ``hg_neck`` (the hypercolumn, on every backbone
    output), ``hg_head`` and ``hg_neck_k``, a momentum copy of the
    hypercolumn fed by the key encoder's backbone (same momentum). Anchors,
    Pos, Neg and cross-image negatives come from the query view (with
    grad); Pos_aug / Neg_aug from the key view's momentum hypercolumn, in
    the spirit of MoCo's keys. Logs ``loss_hg`` (weighted) and
    ``hg_aug_valid`` (share of Pos_aug inside the other view).

    Not put on DenseCL's dense grid: that is 7 x 7 at stride 32 (224 px),
    where one leaf region of a UCM (tens per image) covers about one cell,
    so region-level sampling would degenerate; the stride-4 hypercolumn
    keeps the paper's design.

    Args:
        neck: ``HypercolumnNeck`` config on the backbone's outputs (the
            backbone must output layer3 and layer4, ``out_indices=(3, 4)``).
        head: ``HierarchyLossHead`` config (default: the paper's form).
        sampler: keyword arguments of ``HierarchySampler``.
        weight: factor of the loss (read every step).
    """

    reads_all_levels = True
    dense_modules = ('hg_neck', )

    def __init__(self, neck: dict = dict(type='HypercolumnNeck'),
                 head: Optional[dict] = None,
                 sampler: Optional[dict] = None,
                 weight: float = 1.0) -> None:
        self.neck_cfg = neck
        self.head_cfg = head if head is not None else dict(
            type='HierarchyLossHead')
        self.sampler = HierarchySampler(**(sampler or {}))
        self.weight = weight

    def build(self, model) -> None:
        neck = MODELS.build(self.neck_cfg)
        check_neck_matches_backbone(neck, model.backbone, 'hg_neck')
        model.hg_neck = neck
        model.hg_head = MODELS.build(self.head_cfg)
        model.add_momentum_pair('hg_neck', 'hg_neck_k')

    def __call__(self, model, views: EncodedViews,
                 data_samples) -> ObjectiveOutput:
        with torch.no_grad():  # key view, back in batch order
            hg_k = views.unshuffle(model.hg_neck_k.module(views.k_levels)[0])
        hg_q = model.hg_neck(views.q_levels)[0]
        targets = collect_hg_targets(data_samples, hg_q.device)
        # Cross-image negatives only from the query view (they get grad).
        loss, aug_frac = hierarchy_term([hg_q, hg_k.detach()], targets,
                                        self.sampler, model.hg_head,
                                        directions=((0, 1), ),
                                        cns_views=(0, ))
        return ObjectiveOutput(
            dict(loss_hg=self.weight * loss, hg_aug_valid=aug_frac), {})

    def dense_embedding(self, model, levels: Tuple[Tensor, ...]) -> Tensor:
        return model.hg_neck(levels)[0]
