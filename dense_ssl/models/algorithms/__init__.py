"""Algorithms (registered in the dense_ssl scope)."""
from .hiergroup import HierGroup
from .momentum_contrast import MomentumContrast, MomentumEncoder
from .presets import (DenseCLAlgorithm, HierGroupDenseCL, HierGroupMoCo,
                      MoCoV2Algorithm)

__all__ = [
    'MomentumContrast', 'MomentumEncoder', 'DenseCLAlgorithm',
    'MoCoV2Algorithm', 'HierGroupMoCo', 'HierGroupDenseCL', 'HierGroup'
]
