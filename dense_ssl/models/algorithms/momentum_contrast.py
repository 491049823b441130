"""One momentum-contrast model; its loss is the sum of its objectives.

MoCo-v2, DenseCL, HG+MoCo and HG+DenseCL are this model with different
``objectives`` (see :mod:`dense_ssl.models.objectives` and
``docs/algorithms.md``). Buffer and module names are MMSelfSup's
(``encoder_k``, ``queue``, ``queue_ptr``, ``queue2``, ...) so checkpoints
load both ways.
"""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.dist import get_world_size
from mmengine.model import ExponentialMovingAverage
from mmengine.structures import BaseDataElement
from torch import Tensor

from mmselfsup.models.algorithms.base import BaseModel
from mmselfsup.structures import SelfSupDataSample
from dense_ssl.registry import MODELS
from ..objectives import EncodedViews, Objective
from ..utils import (batch_shuffle_ddp, check_loss_lambda,
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


@MODELS.register_module()
class MomentumContrast(BaseModel):
    """Query encoder, momentum key encoder, queues and a list of objectives.

    A training step (:meth:`loss`): encode the query view (with grad) and
    the key view (momentum encoder, shuffle-BN when distributed) once; let
    every objective compute its named loss terms and the keys it enqueues;
    then enqueue. mmengine sums the terms whose name contains ``loss``.

    Args:
        backbone: backbone config (MMSelfSup/mmcls ResNet, ...).
        neck: neck config; its first output is the global embedding
            (``MoCoV2Neck``; ``DenseProjectionNeck`` adds the dense ones).
        objectives: objective configs, e.g. ``[dict(type='GlobalContrast'),
            dict(type='DenseContrast'), dict(type='Hierarchy', ...)]``;
            their order is the order of the loss terms and state-dict keys.
        head: optional MMSelfSup ``ContrastiveHead`` config, read for its
            temperature only (see ``temperature``).
        queue_len: keys per queue (65536 in the papers).
        feat_dim: embedding size of the keys in the queues.
        momentum: key encoder momentum m of MoCo (0.999); stored as
            mmengine's EMA momentum ``1 - m``, as MMSelfSup does.
        temperature: InfoNCE temperature; None: the head's, else 0.2.
        loss_lambda: DenseCL's mix ``(1 - l) * global + l * dense`` of a
            ``GlobalContrast`` and a ``DenseContrast`` (sets their weights;
            read and written as ``model.loss_lambda`` by
            ``DenseLossWarmupHook``); None: the objectives' own weights.
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

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 objectives: Sequence[Union[dict, Objective]],
                 head: Optional[dict] = None,
                 queue_len: int = 65536,
                 feat_dim: int = 128,
                 momentum: float = 0.999,
                 temperature: Optional[float] = None,
                 loss_lambda: Optional[float] = None,
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
        self.momentum_pairs: List[Tuple[str, str]] = []
        self.objectives: List[Objective] = [
            MODELS.build(o) if isinstance(o, dict) else o
            for o in objectives]
        if not self.objectives:
            raise ValueError(f'{type(self).__name__}: objectives is empty')
        for objective in self.objectives:  # queues, extra necks
            objective.build(self)
        # The own neck sees the last backbone output when an objective
        # (HG's hypercolumn) reads the others.
        self.neck_levels = slice(-1, None) if any(
            o.reads_all_levels for o in self.objectives) else slice(None)
        if loss_lambda is not None:
            self.loss_lambda = check_loss_lambda(loss_lambda,
                                                 type(self).__name__)

    # ------------------------------------------------------- the step
    def loss(self, inputs: List[Tensor],
             data_samples: Optional[List[SelfSupDataSample]] = None,
             **kwargs) -> Dict[str, Tensor]:
        """Encode both views once, add up the objectives, enqueue.

        The queues are updated after every loss is built: the fused
        InfoNCE keeps no reference to them for the backward pass.
        """
        views = self.encode(inputs)
        losses, keys = {}, {}
        for objective in self.objectives:
            out = objective(self, views, data_samples)
            losses.update(out.losses)
            keys.update(out.enqueue)
        for name, k in keys.items():
            self._dequeue_and_enqueue(name, k)
        return losses

    def encode(self, inputs: List[Tensor]) -> EncodedViews:
        """Query view with grad; key view by the momentum encoder, after
        its update, with shuffle-BN when distributed (keys stay shuffled:
        objectives unshuffle what they use)."""
        im_q, im_k = self._views(inputs)
        q_levels = self.backbone(im_q)
        q_out = self.neck(q_levels[self.neck_levels])
        return EncodedViews(q_levels, q_out, *self._encode_keys(im_k))

    @torch.no_grad()
    def _encode_keys(
            self, im_k: Tensor
    ) -> Tuple[Tuple[Tensor, ...], List[Tensor], Optional[Tensor]]:
        """Update the momentum encoders, then encode ``im_k`` shuffled.

        Returns:
            Backbone and neck outputs, both still in shuffled batch order,
            and the index that unshuffles them (None on one process).
        """
        self._momentum_update_key_encoder()
        im_k, idx_unshuffle = batch_shuffle_ddp(im_k)
        backbone_k, neck_k = self.encoder_k.module
        k_levels = backbone_k(self._memory_format(im_k))
        return k_levels, neck_k(k_levels[self.neck_levels]), idx_unshuffle

    @torch.no_grad()
    def _momentum_update_key_encoder(self) -> None:
        self.encoder_k.update_parameters(
            nn.Sequential(self.backbone, self.neck))
        for online, ema in self.momentum_pairs:
            getattr(self, ema).update_parameters(getattr(self, online))

    # ------------------------------------------- what objectives register
    def add_queue(self, name: str) -> None:
        """Buffers ``name`` (feat_dim, queue_len) and ``name + '_ptr'``."""
        self.register_buffer(name, new_queue(self.feat_dim, self.queue_len))
        self.register_buffer(name + '_ptr', torch.zeros(1, dtype=torch.long))

    def add_momentum_pair(self, online: str, ema: str) -> None:
        """Module ``ema``: a momentum copy of module ``online``, updated with
        the key encoder (same momentum), as solo-learn's momentum pairs."""
        if self.channels_last:
            getattr(self, online).to(memory_format=torch.channels_last)
        self.add_module(ema, MomentumEncoder(getattr(self, online),
                                             self.encoder_k.momentum))
        self.momentum_pairs.append((online, ema))

    @torch.no_grad()
    def _dequeue_and_enqueue(self, name: str, keys: Tensor) -> None:
        """Add the keys of every process to queue ``name``."""
        keys = concat_all_gather(keys)
        check_queue_len(self.queue_len, keys.size(0))
        ptr_buf = getattr(self, name + '_ptr')
        ptr_buf[0] = enqueue_(getattr(self, name), keys, int(ptr_buf))

    def objective(self, type_: type) -> Objective:
        """The first objective of class ``type_`` (AttributeError if none)."""
        for o in self.objectives:
            if isinstance(o, type_):
                return o
        raise AttributeError(
            f'{type(self).__name__} has no {type_.__name__} objective')

    @property
    def loss_lambda(self) -> float:
        """DenseCL's dense weight (AttributeError without dense contrast)."""
        from ..objectives import DenseContrast
        return self.objective(DenseContrast).weight

    @loss_lambda.setter
    def loss_lambda(self, value: float) -> None:
        from ..objectives import DenseContrast, GlobalContrast
        self.objective(DenseContrast).weight = value
        self.objective(GlobalContrast).weight = 1.0 - value

    # ------------------------------------------------------------ inputs
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

    # ------------------------------------------------- mmengine interface
    def extract_feat(self, inputs: List[Tensor],
                     **kwargs) -> Tuple[Tensor, ...]:
        """Backbone outputs of the first view (MMSelfSup's behaviour)."""
        return self.backbone(self._memory_format(inputs[0]))

    def extract_dense(self, images: Tensor) -> Tensor:
        """(N, C, h, w) dense embedding of images, not normalised: the first
        objective's own (HG's hypercolumn), else the last backbone map."""
        levels = self.backbone(self._memory_format(images))
        for objective in self.objectives:
            emb = objective.dense_embedding(self, levels)
            if emb is not None:
                return emb
        return levels[-1]

    @property
    def dense_modules(self) -> Tuple[str, ...]:
        """Modules whose weights :meth:`extract_dense` reads."""
        for objective in self.objectives:
            if objective.dense_modules:
                return ('backbone', ) + objective.dense_modules
        return ('backbone', )

    def predict(self, inputs: List[Tensor],
                data_samples: Optional[List[SelfSupDataSample]] = None,
                **kwargs) -> SelfSupDataSample:
        """Normalised backbone map of the first view, as MMSelfSup's DenseCL.

        The map is the one the neck receives (the last backbone output).
        Returns a :class:`SelfSupDataSample` whose ``q_grid.value`` is
        (N, C, H * W).
        """
        q_map = self.extract_feat(inputs)[-1]
        result = SelfSupDataSample()
        result.q_grid = BaseDataElement(
            value=F.normalize(q_map.flatten(2), dim=1))
        return result
