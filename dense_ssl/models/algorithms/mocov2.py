"""MoCo-v2 (Chen et al. 2020), the baseline DenseCL is compared with."""
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple, Union

import torch
import torch.nn.functional as F
from torch import Tensor

from dense_ssl.registry import MODELS
from mmselfsup.structures import SelfSupDataSample
from ..losses import info_nce
from .momentum_contrast import MomentumContrastBase


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

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 head: Optional[dict] = None,
                 queue_len: int = 65536,
                 feat_dim: int = 128,
                 momentum: float = 0.999,
                 temperature: Optional[float] = None,
                 batch_size: Optional[int] = None,
                 channels_last: bool = False,
                 pretrained: Optional[str] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[Union[List[dict], dict]] = None) -> None:
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
        self._register_queue('queue')

    def compute_features(self, inputs: List[Tensor]) -> MoCoFeatures:
        """Encode the query view (with grad) and the key view (without)."""
        im_q, im_k = self._views(inputs)
        q_backbone = self.backbone(im_q)
        q = F.normalize(self.neck(q_backbone)[0], dim=1)
        _, k_out, idx = self._encode_keys(im_k)
        with torch.no_grad():
            k = self._unshuffle(F.normalize(k_out[0], dim=1), idx)
        return MoCoFeatures(q=q, k=k, q_backbone=q_backbone)

    def compute_losses(self, feats: MoCoFeatures) -> Dict[str, Tensor]:
        return dict(loss=info_nce(feats.q, feats.k, self.queue,
                                  self.temperature))

    @torch.no_grad()
    def update_queues(self, feats: MoCoFeatures) -> None:
        self._dequeue_and_enqueue('queue', feats.k)

    def loss(self, inputs: List[Tensor],
             data_samples: Optional[List[SelfSupDataSample]] = None,
             **kwargs) -> Dict[str, Tensor]:
        feats = self.compute_features(inputs)
        losses = self.compute_losses(feats)
        self.update_queues(feats)
        return losses
