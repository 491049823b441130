"""MoCo-v2 (Chen et al. 2020), the baseline DenseCL is compared with."""
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

from dense_ssl.registry import MODELS
from mmselfsup.structures import SelfSupDataSample
from ..losses import info_nce
from .momentum_contrast import EncodedViews, MomentumContrastBase


@dataclass
class MoCoFeatures:
    """L2-normalised global embeddings of the two views.

    Attributes:
        q: (N, D) query embedding (with grad).
        k: (N, D) key embedding from the momentum encoder.
        q_backbone: backbone outputs of the query view (for subclasses).
    """
    q: Tensor
    k: Tensor
    q_backbone: Tuple[Tensor, ...]


@MODELS.register_module()
class MoCoV2Algorithm(MomentumContrastBase):
    """MoCo-v2: InfoNCE between two views' global embeddings and a queue.

    Same state-dict keys as MMSelfSup's ``MoCo`` (``backbone``, ``neck``,
    ``encoder_k``, ``queue``, ``queue_ptr``) and the same loss (``loss``).
    Use a neck whose first output is the global embedding and whose
    parameters all feed it (``MoCoV2Neck``); with ``DenseProjectionNeck`` the
    dense branch would get no gradient.
    Arguments: see :class:`MomentumContrastBase`.
    """

    queue_names = ('queue', )

    def _features(self, enc: EncodedViews) -> MoCoFeatures:
        with torch.no_grad():
            k = self._unshuffle(F.normalize(enc.k_out[0], dim=1),
                                enc.idx_unshuffle)
        return MoCoFeatures(q=F.normalize(enc.q_out[0], dim=1), k=k,
                            q_backbone=enc.q_levels)

    def compute_losses(self, feats: MoCoFeatures) -> Dict[str, Tensor]:
        return dict(loss=info_nce(feats.q, feats.k, self.queue,
                                  self.temperature))

    @torch.no_grad()
    def update_queues(self, feats: MoCoFeatures) -> None:
        self._dequeue_and_enqueue('queue', feats.k)

    def _loss_terms(self, feats: MoCoFeatures,
                    data_samples: Optional[List[SelfSupDataSample]]
                    ) -> Dict[str, Tensor]:
        return self.compute_losses(feats)
