"""Global contrast: MoCo-v2's InfoNCE between the two views' embeddings."""
from typing import Optional

import torch
import torch.nn.functional as F

from dense_ssl.registry import MODELS
from ..losses import info_nce
from .base import EncodedViews, Objective, ObjectiveOutput


@MODELS.register_module()
class GlobalContrast(Objective):
    """InfoNCE of each query's global embedding against its key and a queue.

    Reads the neck's first output of both views; negatives are the queue
    ``queue`` (keys of past batches), which receives this batch's keys.

    Args:
        loss_name: name of the term (``'loss'`` as MMSelfSup's MoCo,
            ``'loss_single'`` as its DenseCL).
        weight: factor of the term; None: unweighted. DenseCL's ``1 -
            loss_lambda`` is set through the model's ``loss_lambda``.
        queue: name of the queue buffer on the model.
    """

    def __init__(self, loss_name: str = 'loss',
                 weight: Optional[float] = None,
                 queue: str = 'queue') -> None:
        self.loss_name = loss_name
        self.weight = weight
        self.queue = queue

    def build(self, model) -> None:
        model.add_queue(self.queue)

    def __call__(self, model, views: EncodedViews,
                 data_samples) -> ObjectiveOutput:
        with torch.no_grad():
            k = views.unshuffle(F.normalize(views.k_out[0], dim=1))
        q = F.normalize(views.q_out[0], dim=1)
        loss = info_nce(q, k, getattr(model, self.queue), model.temperature)
        if self.weight is not None:
            loss = loss * self.weight
        return ObjectiveOutput({self.loss_name: loss}, {self.queue: k})
