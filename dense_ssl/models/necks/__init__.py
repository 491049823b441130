"""Necks (registered in the dense_ssl scope)."""
from .dense_projection_neck import DenseProjectionNeck
from .hypercolumn_neck import HypercolumnNeck  # noqa: F401

__all__ = ['DenseProjectionNeck']
