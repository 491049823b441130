"""Necks (registered in the dense_ssl scope)."""
from .dense_projection_neck import DenseProjectionNeck

__all__ = ['DenseProjectionNeck']
