"""Where a pixel of one augmented view lies in the other view.

The HG data pipeline records, for each of the two views, the crop box
``(x0, y0, x1, y1)`` in original-image pixels (continuous, x1/y1 exclusive)
and whether the crop was flipped horizontally afterwards. Pixel (u, v) of a
grid of size (h, w) laid over a view (u = column) then sits at::

    u' = w - 1 - u if flipped else u
    x  = x0 + (u' + 0.5) * (x1 - x0) / w,   y = y0 + (v + 0.5) * (y1 - y0) / h

The grid may be the view itself or any coarser grid over it (the embedding
grid at 1/4 resolution), because a view is a resize of its crop.
"""
from typing import Tuple

import torch
from torch import Tensor


def grid_to_image(idx: Tensor, box: Tensor, flip: Tensor,
                  size: Tuple[int, int]) -> Tuple[Tensor, Tensor]:
    """Original-image (x, y) of grid cells given by flat index.

    Args:
        idx: (N, ...) flat cell index ``v * w + u``.
        box: (N, 4) crop box of the view, one per image.
        flip: (N,) bool, the view was flipped after cropping.
        size: (h, w) of the grid.

    Returns:
        x, y: float tensors shaped like ``idx``.
    """
    h, w = size
    extra = (1, ) * (idx.dim() - 1)
    box = box.to(torch.float32).view(-1, 4, *extra)
    flip = flip.to(torch.bool).view(-1, *extra)
    v = torch.div(idx, w, rounding_mode='floor')
    u = idx - v * w
    u = torch.where(flip, w - 1 - u, u)
    x = box[:, 0] + (u.to(torch.float32) + 0.5) * (box[:, 2] - box[:, 0]) / w
    y = box[:, 1] + (v.to(torch.float32) + 0.5) * (box[:, 3] - box[:, 1]) / h
    return x, y


def image_to_grid(x: Tensor, y: Tensor, box: Tensor, flip: Tensor,
                  size: Tuple[int, int]) -> Tuple[Tensor, Tensor]:
    """Flat index of the grid cell of a view that contains (x, y).

    Args:
        x, y: (N, ...) original-image coordinates.
        box, flip, size: the destination view, as in :func:`grid_to_image`.

    Returns:
        idx: long, shaped like ``x`` (0 where invalid);
        valid: bool, the point lies inside the view's crop.
    """
    h, w = size
    extra = (1, ) * (x.dim() - 1)
    box = box.to(torch.float32).view(-1, 4, *extra)
    flip = flip.to(torch.bool).view(-1, *extra)
    fx = (x - box[:, 0]) / (box[:, 2] - box[:, 0]) * w
    fy = (y - box[:, 1]) / (box[:, 3] - box[:, 1]) * h
    valid = (fx >= 0) & (fx < w) & (fy >= 0) & (fy < h)
    u = fx.floor().long().clamp(0, w - 1)
    v = fy.floor().long().clamp(0, h - 1)
    u = torch.where(flip, w - 1 - u, u)
    return torch.where(valid, v * w + u, torch.zeros_like(u)), valid


def map_between_views(idx: Tensor, boxes: Tensor, flips: Tensor,
                      size: Tuple[int, int], src: int = 0,
                      dst: int = 1) -> Tuple[Tensor, Tensor]:
    """Map grid cells of view ``src`` to the cells of view ``dst``.

    Args:
        idx: (N, ...) flat cell index in view ``src``.
        boxes: (N, V, 4) crop boxes of the views.
        flips: (N, V) flips of the views.
        size: (h, w) of the grid (the same for both views).
        src, dst: view numbers.

    Returns:
        ``(idx_dst, valid)``: the cell of view ``dst`` holding the same
        original location, and whether view ``dst`` covers it at all.
    """
    x, y = grid_to_image(idx, boxes[:, src], flips[:, src], size)
    return image_to_grid(x, y, boxes[:, dst], flips[:, dst], size)
