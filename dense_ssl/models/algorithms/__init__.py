"""Algorithms (registered in the dense_ssl scope)."""
from .densecl import DenseCLAlgorithm, DenseCLFeatures
from .hiergroup import HierGroup  # noqa: F401
from .hiergroup_momentum import HierGroupDenseCL, HierGroupMoCo  # noqa: F401
from .momentum_contrast import MomentumContrastBase, MomentumEncoder
from .mocov2 import MoCoFeatures, MoCoV2Algorithm

__all__ = [
    'DenseCLAlgorithm', 'DenseCLFeatures', 'MoCoV2Algorithm', 'MoCoFeatures',
    'MomentumContrastBase', 'MomentumEncoder'
]
