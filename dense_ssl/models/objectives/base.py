"""What every objective of :class:`~dense_ssl.models.algorithms.MomentumContrast`
receives and returns.

An objective is one named part of the loss (MoCo-v2's global InfoNCE,
DenseCL's dense InfoNCE, HG's hierarchy loss). It is listed in the model's
``objectives`` config and is not an ``nn.Module``: what it owns (queues,
extra necks and their momentum copies) it registers on the model under the
names MMSelfSup and earlier dense_ssl releases used (``queue``, ``queue2``,
``hg_neck``, ...), so state dicts keep their keys.
"""
from typing import Dict, List, NamedTuple, Optional, Tuple

from torch import Tensor

from ..utils import batch_unshuffle_ddp


class EncodedViews(NamedTuple):
    """Both views encoded once per step.

    Attributes:
        q_levels: backbone outputs of the query view (with grad).
        q_out: neck outputs of the query view (with grad).
        k_levels: backbone outputs of the key view (momentum encoder),
            still in shuffled batch order (shuffle-BN).
        k_out: neck outputs of the key view, still shuffled.
        idx_unshuffle: index for :meth:`unshuffle` (None on one process,
            where nothing was shuffled).
    """
    q_levels: Tuple[Tensor, ...]
    q_out: List[Tensor]
    k_levels: Tuple[Tensor, ...]
    k_out: List[Tensor]
    idx_unshuffle: Optional[Tensor]

    def unshuffle(self, x: Tensor) -> Tensor:
        """A key-view tensor back in batch order (no-op on one process).

        Objectives unshuffle only what they use: each call is an
        all-gather when distributed.
        """
        return batch_unshuffle_ddp(x, self.idx_unshuffle)


class ObjectiveOutput(NamedTuple):
    """Named loss terms (and logged values) plus the keys to enqueue.

    Attributes:
        losses: terms whose name contains ``loss`` are summed by mmengine;
            others (e.g. ``hg_aug_valid``) are only logged.
        enqueue: queue name -> (N, feat_dim) keys of this step, added by the
            model after every objective has built its loss.
    """
    losses: Dict[str, Tensor]
    enqueue: Dict[str, Tensor]


class Objective:
    """One part of the loss. Subclasses implement both methods.

    Attributes:
        reads_all_levels: True when the objective reads backbone outputs
            other than the last (HG's hypercolumn reads layer3 + layer4);
            the model's own neck then receives the last output only.
    """

    reads_all_levels = False
    #: modules of the model that :meth:`dense_embedding` reads
    dense_modules: Tuple[str, ...] = ()

    def build(self, model) -> None:
        """Register queues (``model.add_queue``), modules and momentum pairs
        (``model.add_momentum_pair``) on ``model``. Called once, in the
        order the objectives are listed (this fixes the state-dict order)."""

    def __call__(self, model, views: EncodedViews,
                 data_samples) -> ObjectiveOutput:
        raise NotImplementedError

    def dense_embedding(self, model, levels: Tuple[Tensor, ...]
                        ) -> Optional[Tensor]:
        """The objective's own dense embedding of backbone outputs, if it
        has one (HG's hypercolumn); None: the model's last backbone map."""
        return None
