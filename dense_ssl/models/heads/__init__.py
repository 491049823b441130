"""Heads (registered in the dense_ssl scope)."""
from .hierarchy_head import HierarchyLossHead

__all__ = ['HierarchyLossHead']
