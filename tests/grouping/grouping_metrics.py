"""IoU helper of the grouping tests.

A module of its own, not ``conftest``: with several test directories on one
pytest command line, ``from conftest import`` may find another directory's.
"""
import numpy as np


def best_union_iou(labels: np.ndarray, mask: np.ndarray) -> float:
    """IoU of ``mask`` with the union of the regions lying mostly inside it."""
    r = int(labels.max()) + 1
    area = np.bincount(labels.ravel(), minlength=r)
    inside = np.bincount(labels.ravel(), weights=mask.ravel(), minlength=r)
    union = (2 * inside > area)[labels]
    return float((union & mask).sum() / (union | mask).sum())
