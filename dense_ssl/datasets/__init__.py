"""Registered on import of :mod:`dense_ssl`."""
from .hierarchy_dataset import HierarchyDataset
from .transforms import LoadImageOrSkip
from .unlabeled_image_dataset import UnlabeledImageDataset

__all__ = ['UnlabeledImageDataset', 'LoadImageOrSkip', 'HierarchyDataset']
