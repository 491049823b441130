"""Registered on import of :mod:`dense_ssl`."""
from .transforms import LoadImageOrSkip
from .unlabeled_image_dataset import UnlabeledImageDataset

__all__ = ['UnlabeledImageDataset', 'LoadImageOrSkip']
