"""Dense embeddings of photos from a pre-trained model, for the applications.

The model is built from its training config through the registry
(``default_scope='dense_ssl'``) and its weights read with
``torch.load(weights_only=True)`` (the one safe loader); mmengine /
dense_ssl are imported inside the functions, so the rest of
:mod:`dense_ssl.applications` stays free of OpenMMLab imports.

Which map is "the embedding": the model's ``extract_dense`` (every
algorithm has it: HG's 32-d hypercolumn at stride 4 when the model has one,
else the last backbone output, stride 32 for a ResNet); with
``feature='backbone'`` the last output of ``extract_feat``. Weights are read
by :func:`dense_ssl.checkpoint_safety.safe_load`.

:func:`add_embedder_args` / :func:`embedder_from_args` are the command-line
side shared by ``tools/segment_retrieval.py`` and ``tools/track_masks.py``.
"""
import argparse
import os
from typing import Optional, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

#: inputs are padded to a multiple of this (the ResNet's output stride), so
#: that every embedding cell covers exactly ``stride`` x ``stride`` pixels.
PAD_MULTIPLE = 32


class DenseEmbedder:
    """A model's per-pixel embedding of RGB photos.

    Args:
        config: mmengine config file of the model (a training config).
        checkpoint: a Runner checkpoint or a state dict (``backbone.*`` /
            ``neck.*`` keys); None keeps the random initialisation.
        device: torch device.
        feature: ``'auto'`` (hypercolumn when the model has one) or
            ``'backbone'`` (last backbone map).
    """

    def __init__(self, config: str, checkpoint: Optional[str] = None,
                 device: str = 'cpu', feature: str = 'auto') -> None:
        from mmengine.config import Config
        from mmengine.registry import DefaultScope

        import dense_ssl  # noqa: F401  (registers the modules)
        from dense_ssl.registry import MODELS
        if feature not in ('auto', 'backbone'):
            raise ValueError(f"feature must be 'auto' or 'backbone', got "
                             f'{feature!r}')
        self.feature = feature
        cfg = Config.fromfile(config)
        pre = cfg.model.get('data_preprocessor') or {}
        self.mean = torch.tensor(pre.get('mean', (123.675, 116.28, 103.53)),
                                 dtype=torch.float32).view(1, 3, 1, 1)
        self.std = torch.tensor(pre.get('std', (58.395, 57.12, 57.375)),
                                dtype=torch.float32).view(1, 3, 1, 1)
        model_cfg = cfg.model.copy()
        model_cfg.pop('pretrained', None)
        with DefaultScope.overwrite_default_scope('dense_ssl'):
            self.model = MODELS.build(model_cfg)
        # init_weights logs one INFO line per tensor: silence it meanwhile
        from mmengine.logging import MMLogger
        logger = MMLogger.get_current_instance()
        level = logger.level
        logger.setLevel('WARNING')
        try:
            self.model.init_weights()
        finally:
            logger.setLevel(level)
        if checkpoint is not None:
            self._load(checkpoint)
        self.model.to(device).eval()
        self.device = torch.device(device)

    def _load(self, path: str) -> None:
        from dense_ssl.checkpoint_safety import safe_load, state_dict_of
        if not os.path.isfile(path):
            raise FileNotFoundError(f'--checkpoint {path}: no such file')
        state = state_dict_of(safe_load(path), path)  # ValueError if bad
        own = self.model.state_dict()
        if not any(k in own for k in state):
            # an exported bare backbone (tools/model_converters)
            state = {f'backbone.{k}': v for k, v in state.items()}
        from .weights import check_same_shapes
        check_same_shapes(state, own, path)
        missing, _ = self.model.load_state_dict(state, strict=False)
        needed = [k for k in missing
                  if k.startswith(self._needed_prefixes())]
        if needed:
            raise ValueError(f'--checkpoint {path}: {len(needed)} weights of '
                             f'the embedding are missing (e.g. {needed[0]})')

    def _needed_prefixes(self) -> Tuple[str, ...]:
        if self.feature == 'backbone':
            return ('backbone.', )
        return tuple(f'{m}.' for m in self.model.dense_modules)

    @torch.no_grad()
    def _forward(self, x: Tensor) -> Tensor:
        if self.feature == 'backbone':
            return self.model.extract_feat([x])[-1]
        return self.model.extract_dense(x)

    @torch.no_grad()
    def __call__(self, image: np.ndarray) -> Tuple[Tensor, int]:
        """Embed one (H, W, 3) uint8 RGB photo.

        The photo is padded (bottom / right, zeros after normalisation) to a
        multiple of 32 so that each cell of the output covers exactly
        ``stride`` x ``stride`` pixels; cells entirely in the padding are
        cropped off.

        Returns:
            ``(embedding (D, ceil(H / s), ceil(W / s)) on the CPU, s)``.
        """
        if image.ndim != 3 or image.shape[2] != 3:
            raise ValueError(f'expected an (H, W, 3) RGB image, got shape '
                             f'{image.shape}')
        h, w = image.shape[:2]
        x = torch.from_numpy(np.array(image, copy=True)).permute(
            2, 0, 1)[None].float()
        x = (x - self.mean) / self.std
        ph, pw = (-h) % PAD_MULTIPLE, (-w) % PAD_MULTIPLE
        x = F.pad(x, (0, pw, 0, ph))
        emb = self._forward(x.to(self.device))[0].float().cpu()
        stride = (h + ph) // emb.shape[1]
        return emb[:, :-(-h // stride), :-(-w // stride)], stride


def upsample_embedding(embedding: Tensor, stride: int,
                       size: Tuple[int, int]) -> Tensor:
    """(D, h, w) cells of ``stride`` px -> (D, H, W) per pixel (bilinear)."""
    d, h, w = embedding.shape
    up = F.interpolate(embedding[None], size=(h * stride, w * stride),
                       mode='bilinear', align_corners=False)[0]
    return up[:, :size[0], :size[1]]


def add_embedder_args(parser: argparse.ArgumentParser,
                      device_help: str = 'torch device of the model (e.g. '
                      'cuda:0)') -> None:
    """Add the options that choose the embedding to a tool's parser.

    ``config`` (positional), ``--checkpoint``, ``--feature`` and
    ``--device``: the arguments of :class:`DenseEmbedder`.
    """
    parser.add_argument('config', help='model config (training config)')
    parser.add_argument('--checkpoint', help='checkpoint (.pth); none: '
                        'random init (a baseline)')
    parser.add_argument('--feature', choices=('auto', 'backbone'),
                        default='auto',
                        help="'auto': the HG hypercolumn when the model has "
                        'one, else the last backbone map')
    parser.add_argument('--device', default='cpu', help=device_help)


def embedder_from_args(args: argparse.Namespace) -> DenseEmbedder:
    """The :class:`DenseEmbedder` of :func:`add_embedder_args`' options.

    Raises:
        SystemExit: the config or checkpoint is missing or unreadable (the
            message names the file), so a tool stops without a traceback.
    """
    if not os.path.isfile(args.config):
        raise SystemExit(f'config {args.config}: no such file')
    try:
        return DenseEmbedder(args.config, args.checkpoint, args.device,
                             args.feature)
    except (FileNotFoundError, ValueError) as exc:
        raise SystemExit(str(exc))
