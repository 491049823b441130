"""Objectives: the named parts of a momentum-contrast model's loss."""
from .base import EncodedViews, Objective, ObjectiveOutput
from .dense_contrast import MATCHINGS, DenseContrast
from .global_contrast import GlobalContrast
from .hierarchy import Hierarchy, gather_rows, hierarchy_term

__all__ = [
    'EncodedViews', 'Objective', 'ObjectiveOutput', 'GlobalContrast',
    'DenseContrast', 'MATCHINGS', 'Hierarchy', 'hierarchy_term',
    'gather_rows'
]
