"""What MoCo-v2 and DenseCL share: key encoder, queues, shuffle-BN.

Not registered: :class:`~dense_ssl.models.algorithms.MoCoV2Algorithm` and
:class:`~dense_ssl.models.algorithms.DenseCLAlgorithm` subclass it.
Buffer and module names are MMSelfSup's (``encoder_k``, ``queue``,
``queue_ptr``, ``queue2``, ...) so checkpoints load both ways.
"""
from typing import Any, Dict, List, NamedTuple, Optional, Tuple, Union

import torch
import torch.nn as nn
from mmengine.dist import get_world_size
from mmengine.model import ExponentialMovingAverage
from torch import Tensor

from mmselfsup.models.algorithms.base import BaseModel
from mmselfsup.structures import SelfSupDataSample
from ..utils import (batch_shuffle_ddp, batch_unshuffle_ddp,
                     check_neck_matches_backbone, check_queue_len,
                     concat_all_gather, enqueue_, init_selfsup_model,
                     new_queue)


class MomentumEncoder(ExponentialMovingAverage):
    """mmengine's EMA with the same update, done by fused ``_foreach`` ops.

    Same maths as :meth:`ExponentialMovingAverage.update_parameters` (copy
    at step 0, then ``lerp`` by ``momentum``; buffers copied from the
    source model) with one kernel per list instead of one per tensor.
    """

    @torch.no_grad()
    def update_parameters(self, model: nn.Module) -> None:
        if self.update_buffers:  # averaged buffers: mmengine's own loop
            return super().update_parameters(model)
        src = dict(model.named_parameters())
        names = [k for k, p in self.avg_parameters.items()
                 if p.dtype.is_floating_point]
        dst = [self.avg_parameters[k].data for k in names]
        new = [src[k].data.to(d.device) for k, d in zip(names, dst)]
        if self.steps == 0:
            torch._foreach_copy_(dst, new)
        elif self.steps % self.interval == 0:
            torch._foreach_lerp_(dst, new, self.momentum)
        # mmengine keeps the buffers (BN statistics) in sync with the source.
        buf_dst = list(self.module.buffers())
        buf_src = [b.to(d.device) for b, d in zip(model.buffers(), buf_dst)]
        torch._foreach_copy_(buf_dst, buf_src)
        self.steps += 1


def _temperature_from(head: Optional[dict],
                      temperature: Optional[float]) -> float:
    """Temperature, from ``temperature`` or an MMSelfSup ``head`` config.

    ``head`` is accepted so MMSelfSup configs switch over unchanged; the loss
    itself is :func:`~dense_ssl.models.losses.info_nce`, equal to
    ``ContrastiveHead`` with ``CrossEntropyLoss``, so only that head is.
    """
    if head is None:
        return 0.2 if temperature is None else float(temperature)
    head_type = str(head.get('type', '')).split('.')[-1]
    loss = dict(head.get('loss', {}))
    loss_type = str(loss.pop('type', '')).split('.')[-1]
    if (head_type != 'ContrastiveHead' or loss_type != 'CrossEntropyLoss'
            or any(v not in (None, 1.0, False, 'mean')
                   for v in loss.values())):
        raise ValueError(
            f'head={head} is not supported: the loss is the built-in '
            'InfoNCE (= ContrastiveHead with a plain CrossEntropyLoss); '
            'drop `head` and set `temperature` instead')
    head_t = float(head.get('temperature', 0.1))  # ContrastiveHead default
    if temperature is not None and float(temperature) != head_t:
        raise ValueError(
            f'temperature={temperature} contradicts head temperature '
            f'{head_t}; give only one of them')
    return head_t


class EncodedViews(NamedTuple):
    """Backbone and neck outputs of both views.

    Attributes:
        q_levels: backbone outputs of the query view (with grad).
        q_out: neck outputs of the query view (with grad).
        k_levels: backbone outputs of the key view (momentum encoder),
            still in shuffled batch order.
        k_out: neck outputs of the key view, still shuffled.
        idx_unshuffle: index for :meth:`MomentumContrastBase._unshuffle`
            (None on one process, where nothing was shuffled).
    """
    q_levels: Tuple[Tensor, ...]
    q_out: List[Tensor]
    k_levels: Tuple[Tensor, ...]
    k_out: List[Tensor]
    idx_unshuffle: Optional[Tensor]


class MomentumContrastBase(BaseModel):
    """Query encoder (backbone + neck), momentum key encoder and queues.

    Subclasses name their queues in ``queue_names`` (registered at the end
    of ``__init__``), turn the encoded views into their features in
    :meth:`_features` and the features into loss terms in
    :meth:`_loss_terms`; :meth:`loss` then updates the queues.

    Args:
        backbone: backbone config (MMSelfSup/mmcls ResNet, ...).
        neck: neck config; its first output is the global embedding.
        head: optional MMSelfSup ``ContrastiveHead`` config, read for its
            temperature only (see ``temperature``).
        queue_len: keys per queue (65536 in the papers).
        feat_dim: embedding size of the keys in the queues.
        momentum: key encoder momentum m of MoCo (0.999); stored as
            mmengine's EMA momentum ``1 - m``, as MMSelfSup does.
        temperature: InfoNCE temperature; None: the head's, else 0.2.
        batch_size: batch per process (``train_dataloader.batch_size``).
            If given, ``queue_len`` must be a multiple of
            ``batch_size x world size`` when the model is built; otherwise
            the same check runs at the first enqueue. Either way the error
            names both numbers.
        channels_last: keep convolution weights and images in channels-last
            memory format (faster convolutions on CPU and recent GPUs).
        pretrained: checkpoint loaded by ``init_weights``.
        data_preprocessor: defaults to ``SelfSupDataPreprocessor``.
        init_cfg: mmengine initialisation config.
    """

    #: Queues (buffers ``name`` and ``name + '_ptr'``), in this order.
    queue_names: Tuple[str, ...] = ()

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
        # head=None: only its temperature is used (_temperature_from).
        init_selfsup_model(self, backbone, neck, None, pretrained,
                           data_preprocessor, init_cfg)
        check_neck_matches_backbone(self.neck, self.backbone, last_only=True)
        self.temperature = _temperature_from(head, temperature)
        self.queue_len = queue_len
        self.feat_dim = feat_dim
        if batch_size is not None:
            check_queue_len(queue_len, batch_size * get_world_size())
        self.channels_last = channels_last
        if channels_last:
            self.backbone.to(memory_format=torch.channels_last)
            self.neck.to(memory_format=torch.channels_last)
        self.encoder_k = MomentumEncoder(
            nn.Sequential(self.backbone, self.neck), 1 - momentum)
        for name in self.queue_names:
            self._register_queue(name)

    # ----------------------------------------------------------- queues
    def _register_queue(self, name: str) -> None:
        """Buffers ``name`` (feat_dim, queue_len) and ``name + '_ptr'``."""
        self.register_buffer(name, new_queue(self.feat_dim, self.queue_len))
        self.register_buffer(name + '_ptr', torch.zeros(1, dtype=torch.long))

    @torch.no_grad()
    def _dequeue_and_enqueue(self, name: str, keys: Tensor) -> None:
        """Add the keys of every process to queue ``name``."""
        keys = concat_all_gather(keys)
        check_queue_len(self.queue_len, keys.size(0))
        ptr_buf = getattr(self, name + '_ptr')
        ptr_buf[0] = enqueue_(getattr(self, name), keys, int(ptr_buf))

    # ---------------------------------------------------------- encoders
    def _neck_inputs(self, levels: Tuple[Tensor, ...]) -> Tuple[Tensor, ...]:
        """The backbone outputs that ``neck`` (and the key neck) receives.

        All of them here; a subclass whose backbone outputs more stages
        than the neck takes picks the neck's.
        """
        return levels

    def _views(self, inputs: List[Tensor]) -> Tuple[Tensor, Tensor]:
        """The query and key images, in the model's memory format."""
        if not isinstance(inputs, (list, tuple)) or len(inputs) < 2:
            raise ValueError(
                f'{type(self).__name__} needs a list of two views per batch '
                '(a MultiView(num_views=2) pipeline and '
                f'SelfSupDataPreprocessor); got {type(inputs).__name__}')
        return self._memory_format(inputs[0]), self._memory_format(inputs[1])

    def _memory_format(self, x: Tensor) -> Tensor:
        if self.channels_last:
            return x.contiguous(memory_format=torch.channels_last)
        return x

    @torch.no_grad()
    def _momentum_update_key_encoder(self) -> None:
        self.encoder_k.update_parameters(
            nn.Sequential(self.backbone, self.neck))

    @torch.no_grad()
    def _encode_keys(
            self, im_k: Tensor
    ) -> Tuple[Tuple[Tensor, ...], List[Tensor], Optional[Tensor]]:
        """Update the key encoder, then encode ``im_k`` with shuffle-BN.

        Returns:
            Backbone outputs and neck outputs, both still in shuffled batch
            order, and the index for :meth:`_unshuffle` (None on one
            process, where nothing was shuffled).
        """
        self._momentum_update_key_encoder()
        im_k, idx_unshuffle = batch_shuffle_ddp(im_k)
        backbone_k, neck_k = self.encoder_k.module
        k_backbone = backbone_k(self._memory_format(im_k))
        return (k_backbone, neck_k(self._neck_inputs(k_backbone)),
                idx_unshuffle)

    @staticmethod
    def _unshuffle(x: Tensor, idx_unshuffle: Optional[Tensor]) -> Tensor:
        return batch_unshuffle_ddp(x, idx_unshuffle)

    def compute_features(self, inputs: List[Tensor]) -> Any:
        """Encode the query view (with grad) and the key view (without).

        Returns:
            What :meth:`_features` makes of the :class:`EncodedViews`.
        """
        im_q, im_k = self._views(inputs)
        q_levels = self.backbone(im_q)
        q_out = self.neck(self._neck_inputs(q_levels))
        k_levels, k_out, idx_unshuffle = self._encode_keys(im_k)
        return self._features(
            EncodedViews(q_levels, q_out, k_levels, k_out, idx_unshuffle))

    def _features(self, enc: EncodedViews) -> Any:
        """The subclass's features of the encoded views."""
        raise NotImplementedError

    def _loss_terms(self, feats: Any,
                    data_samples: Optional[List[SelfSupDataSample]]
                    ) -> Dict[str, Tensor]:
        """The subclass's loss terms of ``feats``."""
        raise NotImplementedError

    def update_queues(self, feats: Any) -> None:
        """Add the subclass's keys of ``feats`` to its queues."""
        raise NotImplementedError

    # ------------------------------------------------- mmengine interface
    def loss(self, inputs: List[Tensor],
             data_samples: Optional[List[SelfSupDataSample]] = None,
             **kwargs) -> Dict[str, Tensor]:
        """Encode, compute the loss terms, then update the queues.

        The queues are updated in place after the loss is built: the fused
        InfoNCE keeps no reference to them for the backward pass.
        """
        feats = self.compute_features(inputs)
        losses = self._loss_terms(feats, data_samples)
        self.update_queues(feats)
        return losses

    def extract_feat(self, inputs: List[Tensor],
                     **kwargs) -> Tuple[Tensor, ...]:
        """Backbone outputs of the first view (MMSelfSup's behaviour)."""
        return self.backbone(self._memory_format(inputs[0]))

    def predict(self, inputs: List[Tensor],
                data_samples: Optional[List[SelfSupDataSample]] = None,
                **kwargs) -> Dict[str, Tensor]:
        raise NotImplementedError(
            f'{type(self).__name__} is trained only; use mode="tensor" or '
            'extract_feat for features')
