"""Metrics of the two HG applications (pure numpy).

* :func:`confusion_matrix` / :func:`iou_from_confusion`: semantic mIoU, as
  PASCAL VOC and the segment search of HG (Table 2).
* :func:`region_similarity` (J) and :func:`boundary_f_measure` (F): the
  DAVIS metrics of Perazzi et al. 2016, used by HG's Table 3. They follow the
  DAVIS reference code (``davis2017-evaluation``, ``metrics.py``):
  ``seg2bmap`` boundaries, a disk dilation of radius
  ``ceil(0.008 * image diagonal)`` as the matching tolerance, J = 1 and F = 1
  when both masks are empty.
"""
import math
from typing import Dict, Optional

import numpy as np
from scipy import ndimage


def confusion_matrix(pred: np.ndarray, gt: np.ndarray, num_classes: int,
                     ignore_index: Optional[int] = 255) -> np.ndarray:
    """(num_classes, num_classes) counts, rows = ground truth, cols = pred.

    Pixels whose ground truth is ``ignore_index`` (or outside
    ``[0, num_classes)``) are not counted.
    """
    pred = np.asarray(pred).astype(np.int64).ravel()
    gt = np.asarray(gt).astype(np.int64).ravel()
    if pred.shape != gt.shape:
        raise ValueError(f'pred and gt differ in size: {pred.size} vs '
                         f'{gt.size}')
    keep = (gt >= 0) & (gt < num_classes)
    if ignore_index is not None:
        keep &= gt != ignore_index
    pred, gt = pred[keep], gt[keep]
    if pred.size and (pred.min() < 0 or pred.max() >= num_classes):
        raise ValueError(f'predicted labels outside [0, {num_classes})')
    return np.bincount(gt * num_classes + pred,
                       minlength=num_classes ** 2).reshape(num_classes,
                                                           num_classes)


def iou_from_confusion(conf: np.ndarray) -> Dict[str, np.ndarray]:
    """Per-class IoU = TP / (TP + FP + FN) and their mean.

    Classes that appear neither in the ground truth nor in the prediction
    have an undefined IoU (NaN) and are left out of the mean, as in mmseg's
    ``IoUMetric``.

    Returns:
        ``dict(iou=(C,) array with NaNs, miou=float, acc=pixel accuracy)``.
    """
    conf = np.asarray(conf, dtype=np.float64)
    tp = np.diag(conf)
    union = conf.sum(0) + conf.sum(1) - tp
    with np.errstate(invalid='ignore', divide='ignore'):
        iou = np.where(union > 0, tp / union, np.nan)
    total = conf.sum()
    return dict(iou=iou,
                miou=float(np.nanmean(iou)) if np.any(union > 0) else
                float('nan'),
                acc=float(tp.sum() / total) if total else float('nan'))


def region_similarity(pred: np.ndarray, gt: np.ndarray) -> float:
    """DAVIS J: IoU of two binary masks (1 when both are empty)."""
    pred, gt = np.asarray(pred, bool), np.asarray(gt, bool)
    union = np.logical_or(pred, gt).sum()
    if union == 0:
        return 1.0
    return float(np.logical_and(pred, gt).sum() / union)


def seg2bmap(mask: np.ndarray) -> np.ndarray:
    """One-pixel-wide boundary of a binary mask (DAVIS ``seg2bmap``).

    A pixel is on the boundary when it differs from its east, south or
    south-east neighbour; for a filled box ``[a, b] x [c, d]`` this is the
    ring of the box ``[a-1, b] x [c-1, d]``.
    """
    seg = np.asarray(mask, bool)
    e = np.zeros_like(seg)
    s = np.zeros_like(seg)
    se = np.zeros_like(seg)
    e[:, :-1] = seg[:, 1:]
    s[:-1, :] = seg[1:, :]
    se[:-1, :-1] = seg[1:, 1:]
    b = (seg ^ e) | (seg ^ s) | (seg ^ se)
    b[-1, :] = seg[-1, :] ^ e[-1, :]
    b[:, -1] = seg[:, -1] ^ s[:, -1]
    b[-1, -1] = False
    return b


def disk(radius: int) -> np.ndarray:
    """Boolean disk ``x^2 + y^2 <= radius^2`` (skimage.morphology.disk)."""
    r = np.arange(-radius, radius + 1)
    return (r[:, None] ** 2 + r[None, :] ** 2) <= radius ** 2


def davis_tolerance(shape, bound_th: float = 0.008) -> int:
    """DAVIS matching radius in pixels: ``bound_th`` when >= 1, else
    ``ceil(bound_th * diagonal)`` (8 px for a 480 x 854 frame)."""
    if bound_th >= 1:
        return int(bound_th)
    return int(math.ceil(bound_th * math.hypot(shape[0], shape[1])))


def boundary_f_measure(pred: np.ndarray, gt: np.ndarray,
                       tolerance: Optional[int] = None) -> float:
    """DAVIS F: F-measure of boundary precision and recall.

    A predicted boundary pixel counts as correct if a ground-truth boundary
    pixel lies within ``tolerance`` pixels (disk), and vice versa for recall.

    Args:
        pred, gt: binary masks of one object, same (H, W).
        tolerance: matching radius in pixels; None: DAVIS's
            :func:`davis_tolerance` (0.8% of the diagonal).

    Returns:
        F in [0, 1]: 1 when neither mask has a boundary, 0 when only one has.
    """
    pred, gt = np.asarray(pred, bool), np.asarray(gt, bool)
    if pred.shape != gt.shape:
        raise ValueError(f'masks differ in shape: {pred.shape} vs {gt.shape}')
    if tolerance is None:
        tolerance = davis_tolerance(gt.shape)
    fg_b, gt_b = seg2bmap(pred), seg2bmap(gt)
    n_fg, n_gt = int(fg_b.sum()), int(gt_b.sum())
    if n_fg == 0 and n_gt == 0:
        return 1.0
    if n_fg == 0 or n_gt == 0:
        return 0.0
    se = disk(int(tolerance))
    fg_dil = ndimage.binary_dilation(fg_b, structure=se)
    gt_dil = ndimage.binary_dilation(gt_b, structure=se)
    precision = float((fg_b & gt_dil).sum()) / n_fg
    recall = float((gt_b & fg_dil).sum()) / n_gt
    if precision + recall == 0:
        return 0.0
    return 2 * precision * recall / (precision + recall)
