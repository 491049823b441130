"""HG: representation learning from hierarchical grouping (siamese).

Zhang & Maire, "Self-Supervised Visual Representation Learning from
Hierarchical Grouping", NeurIPS 2020. No official code was released; this is
a re-implementation from the paper (sec. 3 and 4.2).
"""
from typing import Dict, List, Optional, Tuple, Union

import torch
import torch.nn as nn
from torch import Tensor

from dense_ssl.registry import MODELS
from mmselfsup.models.algorithms.base import BaseModel
from mmselfsup.structures import SelfSupDataSample
from ..objectives.hierarchy import hierarchy_term
from ..sampling import HierarchySampler, collect_hg_targets
from ..utils import check_neck_matches_backbone, init_selfsup_model


@MODELS.register_module()
class HierGroup(BaseModel):
    """Siamese HG: backbone + hypercolumn neck + hierarchy loss.

    Both views go through the same weights (one batched pass, no momentum
    encoder, no memory bank). Anchors are drawn in view 1 with Pos and Neg
    from view 1, Pos_aug / Neg_aug are the same pixels found in view 2
    through the crop boxes and flips, and cross-image negatives (cns) come
    from either view of the other images. The loss is eq. 1 over
    Pos+ = Pos u Pos_aug and Neg+ = Neg u Neg_aug u Neg_cns.

    Args:
        backbone: backbone config; for MMSelfSup's ResNet set
            ``out_indices=(3, 4)`` (layer3, layer4).
        neck: ``HypercolumnNeck`` config (its in_channels must match).
        head: ``HierarchyLossHead`` config (temperature, objective).
        sampler: keyword arguments of
            :class:`~dense_ssl.models.sampling.HierarchySampler`
            (num_regions=7, anchors_per_region=1, num_pos=10, num_neg=5,
            num_cns=5, sigma_p=0.8).
        symmetric: also draw anchors in view 2 with references mapped to
            view 1 (not in the paper; doubles the anchors, cost is tiny).
        pretrained, data_preprocessor, init_cfg: as MMSelfSup's BaseModel.

    ``loss`` returns ``loss_hg`` and, for the logs only, ``hg_aug_valid``
    (fraction of Pos_aug inside the other view).
    """

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 head: Optional[dict] = None,
                 sampler: Optional[dict] = None,
                 symmetric: bool = False,
                 pretrained: Optional[str] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[Union[List[dict], dict]] = None) -> None:
        if head is None:
            head = dict(type='HierarchyLossHead')
        init_selfsup_model(self, backbone, neck, head, pretrained,
                           data_preprocessor, init_cfg)
        check_neck_matches_backbone(self.neck, self.backbone)
        self.sampler = HierarchySampler(**(sampler or {}))
        self.symmetric = symmetric

    def extract_feat(self, inputs: List[Tensor], **kwargs) -> Tuple[Tensor]:
        """Backbone outputs of the first view."""
        return self.backbone(inputs[0])

    def embed(self, images: Tensor) -> Tensor:
        """(N, D, H/4, W/4) hypercolumn embedding (not normalised)."""
        return self.neck(self.backbone(images))[0]

    def loss(self, inputs: List[Tensor],
             data_samples: Optional[List[SelfSupDataSample]] = None,
             **kwargs) -> Dict[str, Tensor]:
        if not isinstance(inputs, (list, tuple)) or len(inputs) < 2:
            raise ValueError('HierGroup needs two views per batch '
                             '(MultiView(num_views=2) pipeline)')
        n = inputs[0].shape[0]
        # One pass over both views: shared weights, BN over both.
        emb = self.embed(torch.cat([inputs[0], inputs[1]]))
        targets = collect_hg_targets(data_samples, emb.device)
        directions = ((0, 1), (1, 0)) if self.symmetric else ((0, 1), )
        loss, aug_frac = hierarchy_term([emb[:n], emb[n:]], targets,
                                        self.sampler, self.head, directions)
        return dict(loss_hg=loss, hg_aug_valid=aug_frac)

    def extract_dense(self, images: Tensor) -> Tensor:
        """(N, D, H/4, W/4) hypercolumn embedding (as :meth:`embed`)."""
        return self.embed(images)

    #: modules whose weights :meth:`extract_dense` reads
    dense_modules = ('backbone', 'neck')

    def predict(self, inputs: List[Tensor],
                data_samples: Optional[List[SelfSupDataSample]] = None,
                **kwargs) -> SelfSupDataSample:
        """L2-normalised embedding of the first view, as ``hg_embedding``."""
        result = SelfSupDataSample()
        emb = nn.functional.normalize(self.embed(inputs[0]), dim=1)
        result.set_field(emb, 'hg_embedding', field_type='data')
        return result
