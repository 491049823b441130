"""Handing a pre-trained backbone to other frameworks (mmdet / mmseg,
torchvision, detectron2): :mod:`.resnet_keys` checks a ResNet state dict and
renames its keys; ``tools/model_converters/extract_backbone.py`` is the CLI."""
from .resnet_keys import (ArchitectureError, ResNetLayout, describe_resnet,
                          detectron2_key, split_prefix, to_detectron2,
                          to_torchvision)

__all__ = [
    'ArchitectureError', 'ResNetLayout', 'describe_resnet', 'detectron2_key',
    'split_prefix', 'to_detectron2', 'to_torchvision'
]
