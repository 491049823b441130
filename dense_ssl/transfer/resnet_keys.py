"""ResNet backbone state dicts: validation, key renaming for other frameworks.

MMSelfSup / mmcls / mmdet / mmseg ResNets (``style='pytorch'``, no deep stem)
use torchvision's key names already (``conv1``, ``bn1``, ``layerX.Y.convZ``,
``layerX.Y.bnZ``, ``layerX.Y.downsample.0/1``), so torchvision needs no
renaming; detectron2 uses the renaming of MoCo's
``convert-pretrain-to-detectron2.py``.
"""
import re
from collections import Counter
from dataclasses import dataclass
from typing import Dict, List, Tuple

import numpy as np
import torch

# (block has conv3, blocks per stage) -> depth
_DEPTHS = {
    (False, (2, 2, 2, 2)): 18,
    (False, (3, 4, 6, 3)): 34,
    (True, (3, 4, 6, 3)): 50,
    (True, (3, 4, 23, 3)): 101,
    (True, (3, 8, 36, 3)): 152,
}
_BN = ('weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked')
_VIT_HINTS = ('patch_embed', 'cls_token', 'pos_embed', 'attn.', 'blocks.')


class ArchitectureError(ValueError):
    """The state dict is not a standard ResNet backbone."""


@dataclass(frozen=True)
class ResNetLayout:
    depth: int
    bottleneck: bool
    stage_blocks: Tuple[int, ...]

    @property
    def name(self) -> str:
        return f'ResNet-{self.depth}'

    def keys(self) -> List[str]:
        """Every key a backbone of this layout has, torchvision naming."""
        keys = ['conv1.weight'] + [f'bn1.{b}' for b in _BN]
        n_convs = 3 if self.bottleneck else 2
        for stage, blocks in enumerate(self.stage_blocks, start=1):
            for i in range(blocks):
                p = f'layer{stage}.{i}.'
                for c in range(1, n_convs + 1):
                    keys.append(f'{p}conv{c}.weight')
                    keys += [f'{p}bn{c}.{b}' for b in _BN]
                # the first block of a stage changes width (and stride),
                # except layer1 of ResNet-18/34 whose width stays at 64
                if i == 0 and (self.bottleneck or stage > 1):
                    keys.append(f'{p}downsample.0.weight')
                    keys += [f'{p}downsample.1.{b}' for b in _BN]
        return keys


def split_prefix(state_dict: Dict[str, torch.Tensor],
                 prefix: str) -> Tuple[Dict[str, torch.Tensor], Counter]:
    """Keep the keys under ``prefix`` (stripped); count the others by group.

    Returns:
        The kept sub-dict and a Counter of dropped tensors keyed by the first
        component of their name (``neck``, ``momentum_encoder``, ``queue``...).
    """
    kept, dropped = {}, Counter()
    for key, value in state_dict.items():
        if key.startswith(prefix):
            kept[key[len(prefix):]] = value
        else:
            dropped[key.split('.', 1)[0]] += 1
    return kept, dropped


def describe_resnet(backbone: Dict[str, torch.Tensor]) -> ResNetLayout:
    """Recognise a standard ResNet-18/34/50/101/152 backbone state dict.

    Raises:
        ArchitectureError: another architecture (ViT, deep-stem ResNetV1c/d,
            extra or missing layers), with the offending keys named. Only key
            names are checked, not tensor shapes.
    """
    keys = set(backbone)
    if any(h in k for k in keys for h in _VIT_HINTS):
        sample = sorted(k for k in keys if any(h in k for h in _VIT_HINTS))
        raise ArchitectureError(
            'the backbone looks like a Vision Transformer (keys such as '
            f'{", ".join(sample[:3])}); only ResNet backbones can be exported '
            'for the R50 detection / segmentation benchmarks')
    if 'conv1.weight' not in keys or 'layer1.0.conv1.weight' not in keys:
        raise ArchitectureError(
            'the backbone is not a torchvision-style ResNet (no conv1.weight '
            '/ layer1.0.conv1.weight; found e.g. '
            f'{", ".join(sorted(keys)[:3])})'
            '; deep-stem ResNetV1c/V1d and other architectures are not '
            'supported')
    blocks = []
    for stage in range(1, 5):
        idx = {int(m.group(1)) for k in keys
               for m in [re.match(rf'layer{stage}\.(\d+)\.', k)] if m}
        blocks.append(len(idx))
    bottleneck = 'layer1.0.conv3.weight' in keys
    depth = _DEPTHS.get((bottleneck, tuple(blocks)))
    if depth is None:
        raise ArchitectureError(
            f'unknown ResNet layout: blocks per stage {tuple(blocks)}, '
            f'{"bottleneck" if bottleneck else "basic"} blocks')
    layout = ResNetLayout(depth, bottleneck, tuple(blocks))
    expected = set(layout.keys())
    missing, extra = sorted(expected - keys), sorted(keys - expected)
    if missing or extra:
        raise ArchitectureError(
            f'the backbone is not a plain {layout.name}: '
            f'missing {missing[:5]} ({len(missing)}), '
            f'unexpected {extra[:5]} ({len(extra)})')
    return layout


def to_torchvision(backbone: Dict[str, torch.Tensor], layout: ResNetLayout,
                   num_classes: int = 1000) -> Dict[str, torch.Tensor]:
    """State dict for ``torchvision.models.resnetXX()`` (``strict=True``).

    A self-supervised backbone has no classifier, but strict loading needs
    ``fc.weight`` / ``fc.bias``: they are written as zeros, so the untrained
    classifier outputs 0 logits everywhere instead of looking like a trained
    one. Replace or fine-tune ``model.fc`` before using its outputs.
    """
    out = {k: v.detach().clone().contiguous() for k, v in backbone.items()}
    width = 512 * (4 if layout.bottleneck else 1)
    out['fc.weight'] = torch.zeros(num_classes, width)
    out['fc.bias'] = torch.zeros(num_classes)
    return out


def detectron2_key(key: str) -> str:
    """torchvision ResNet key -> detectron2 key (MoCo's renaming)."""
    if not key.startswith('layer'):
        key = 'stem.' + key
    for t in (1, 2, 3, 4):
        key = key.replace(f'layer{t}', f'res{t + 1}')
    for t in (1, 2, 3):
        key = key.replace(f'bn{t}', f'conv{t}.norm')
    key = key.replace('downsample.0', 'shortcut')
    return key.replace('downsample.1', 'shortcut.norm')


def to_detectron2(backbone: Dict[str, torch.Tensor]) -> Dict[str, np.ndarray]:
    """Detectron2 ``model`` dict: renamed keys, numpy arrays."""
    return {detectron2_key(k): v.detach().cpu().numpy()
            for k, v in backbone.items()}
