"""One view of an image and its region map: random resized crop + flip.

The view geometry is recorded so the model can relate view pixels to the
original image (the HG data contract): a crop box ``(x0, y0, x1, y1)`` in
original pixel coordinates (pixel ``k`` covers ``[k, k + 1)``, ``x1``/``y1``
exclusive) and a flip flag. View pixel ``(u, v)`` of an ``H x W`` view shows
original point ``x = x0 + (u' + 0.5) * (x1 - x0) / W`` with ``u' = W - 1 - u``
when flipped and ``u' = u`` otherwise (same for ``y`` without the mirror).

The region map is resampled with exactly that mapping (nearest neighbour:
``label = labels[floor(y), floor(x)]``) so region ids stay valid and
:func:`view_to_original` / the model's sampler land on the same label. OpenCV's
``INTER_NEAREST`` is not centre-aligned (it reads ``floor(u * w / W)``), hence the
explicit index arrays, which also make the flip free.
"""
import math
from typing import Optional, Sequence, Tuple

import cv2
import numpy as np
from mmcv.transforms import BaseTransform

from dense_ssl.registry import TRANSFORMS

Box = Tuple[int, int, int, int]


def sample_crop_box(height: int, width: int,
                    scale: Sequence[float] = (0.2, 1.0),
                    ratio: Sequence[float] = (3. / 4., 4. / 3.),
                    rng: Optional[np.random.RandomState] = None,
                    max_attempts: int = 10) -> Box:
    """Integer crop box ``(x0, y0, x1, y1)`` as torchvision's RandomResizedCrop.

    Area fraction uniform in ``scale``, aspect ratio log-uniform in ``ratio``;
    after ``max_attempts`` misses, the largest centred crop whose aspect ratio
    is clamped to ``ratio``.
    """
    rng = rng if rng is not None else np.random
    area = height * width
    log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
    for _ in range(max_attempts):
        target = area * rng.uniform(scale[0], scale[1])
        aspect = math.exp(rng.uniform(*log_ratio))
        w = int(round(math.sqrt(target * aspect)))
        h = int(round(math.sqrt(target / aspect)))
        if 0 < w <= width and 0 < h <= height:
            y0 = int(rng.randint(0, height - h + 1))
            x0 = int(rng.randint(0, width - w + 1))
            return x0, y0, x0 + w, y0 + h
    in_ratio = width / height
    if in_ratio < min(ratio):
        w, h = width, int(round(width / min(ratio)))
    elif in_ratio > max(ratio):
        h, w = height, int(round(height * max(ratio)))
    else:
        w, h = width, height
    x0, y0 = (width - w) // 2, (height - h) // 2
    return x0, y0, x0 + w, y0 + h


def view_to_original(u: np.ndarray, v: np.ndarray, box: Sequence[float],
                     flip: bool, view_size: Tuple[int, int]
                     ) -> Tuple[np.ndarray, np.ndarray]:
    """Continuous original coordinates ``(x, y)`` of view pixels ``(u, v)``.

    Args:
        u: Column indices in the view.
        v: Row indices in the view.
        box: ``(x0, y0, x1, y1)`` crop box in original pixels.
        flip: Whether the view was mirrored after cropping.
        view_size: ``(H, W)`` of the view.
    """
    h_out, w_out = view_size
    x0, y0, x1, y1 = (float(b) for b in box)
    u = np.asarray(u, np.float64)
    if flip:
        u = w_out - 1 - u
    x = x0 + (u + 0.5) * (x1 - x0) / w_out
    y = y0 + (np.asarray(v, np.float64) + 0.5) * (y1 - y0) / h_out
    return x, y


def view_source_indices(box: Box, flip: bool, view_size: Tuple[int, int],
                        image_size: Tuple[int, int],
                        label_size: Optional[Tuple[int, int]] = None
                        ) -> Tuple[np.ndarray, np.ndarray]:
    """Rows and columns of a label map to read for each view row / column.

    ``image_size`` is the original ``(height, width)``; a label map of another
    ``label_size`` (the store's grouping size) covers the same image and is read
    as if first resized to the original size by centre-aligned nearest neighbour
    (:func:`dense_ssl.grouping.resize_labels`), so both give identical views.
    """
    h_out, w_out = view_size
    x, y = view_to_original(np.arange(w_out), np.arange(h_out), box, flip,
                            view_size)
    height, width = image_size
    cols = np.clip(np.floor(x).astype(np.int64), 0, width - 1)
    rows = np.clip(np.floor(y).astype(np.int64), 0, height - 1)
    if label_size is not None and tuple(label_size) != (height, width):
        lh, lw = label_size
        rows = np.minimum(((rows + 0.5) * lh / height).astype(np.int64), lh - 1)
        cols = np.minimum(((cols + 0.5) * lw / width).astype(np.int64), lw - 1)
    return rows, cols


def take_rows_cols(arr: np.ndarray, rows: np.ndarray,
                   cols: np.ndarray) -> np.ndarray:
    """``arr[rows][:, cols]``: two 1-D takes, ~7x faster than one 2-D
    fancy index for a 224 x 224 view."""
    return arr.take(rows, axis=0).take(cols, axis=1)


def crop_resize_image(img: np.ndarray, box: Box, flip: bool,
                      view_size: Tuple[int, int],
                      interpolation: str = 'auto') -> np.ndarray:
    """One crop + resize (+ mirror) of the image with OpenCV.

    ``auto`` averages (``INTER_AREA``) when shrinking, which avoids aliasing, and
    interpolates bilinearly when enlarging; both are centre-aligned like the
    contract. ``nearest`` reads exactly the pixels the label map reads.
    """
    h_out, w_out = view_size
    x0, y0, x1, y1 = box
    if interpolation == 'nearest':
        rows, cols = view_source_indices(box, flip, view_size, img.shape[:2])
        return take_rows_cols(img, rows, cols)
    if interpolation == 'auto':
        shrink = (x1 - x0) >= w_out and (y1 - y0) >= h_out
        flag = cv2.INTER_AREA if shrink else cv2.INTER_LINEAR
    elif interpolation == 'bilinear':
        flag = cv2.INTER_LINEAR
    elif interpolation == 'area':
        flag = cv2.INTER_AREA
    else:
        raise ValueError(f'unknown interpolation {interpolation!r} '
                         "(auto, bilinear, area, nearest)")
    out = cv2.resize(img[y0:y1, x0:x1], (w_out, h_out), interpolation=flag)
    if out.ndim == 2 and img.ndim == 3:  # cv2 drops a single channel axis
        out = out[..., None]
    return cv2.flip(out, 1) if flip else out


@TRANSFORMS.register_module()
class HGRandomResizedCropFlip(BaseTransform):
    """Random resized crop and horizontal flip of ``img`` and ``hg_labels``.

    The same geometry is applied to the image (interpolated) and the region
    map (nearest neighbour), and recorded in ``hg_box`` / ``hg_flip``. The
    region map may be stored at a smaller size than the image (the store's
    grouping size): it is read through :func:`view_source_indices`, with no
    full-size upsampling.

    Required keys: ``img``; ``hg_labels`` if present (without it only the
    geometry is recorded, e.g. for DenseCL's ``match='geometric'``).
    Modified: ``img``, ``hg_labels``, ``img_shape``. Added: ``hg_box``
    (float32 (4,)), ``hg_flip`` (bool).

    Args:
        size: Output size, an int or ``(h, w)``.
        scale: Range of the crop's area fraction (MoCo-v2 / HG: (0.2, 1)).
        ratio: Range of the crop's aspect ratio.
        flip_prob: Probability of mirroring the view after cropping.
        interpolation: Image resampling: ``auto``, ``bilinear``, ``area`` or
            ``nearest`` (see :func:`crop_resize_image`).
    """

    def __init__(self, size, scale: Sequence[float] = (0.2, 1.0),
                 ratio: Sequence[float] = (3. / 4., 4. / 3.),
                 flip_prob: float = 0.5,
                 interpolation: str = 'auto') -> None:
        self.size = (size, size) if isinstance(size, int) else tuple(size)
        if not 0 < scale[0] <= scale[1] <= 1:
            raise ValueError(f'scale must satisfy 0 < min <= max <= 1, got {scale}')
        if not 0 < ratio[0] <= ratio[1]:
            raise ValueError(f'ratio must satisfy 0 < min <= max, got {ratio}')
        if not 0 <= flip_prob <= 1:
            raise ValueError(f'flip_prob must be in [0, 1], got {flip_prob}')
        self.scale = tuple(scale)
        self.ratio = tuple(ratio)
        self.flip_prob = flip_prob
        self.interpolation = interpolation

    def transform(self, results: dict) -> dict:
        img = results['img']
        image_size = img.shape[:2]
        box = sample_crop_box(*image_size, self.scale, self.ratio)
        flip = bool(np.random.rand() < self.flip_prob)
        results['img'] = crop_resize_image(img, box, flip, self.size,
                                           self.interpolation)
        if 'hg_labels' in results:  # absent for geometry-only views
            labels = results['hg_labels']
            rows, cols = view_source_indices(box, flip, self.size,
                                             image_size, labels.shape[:2])
            results['hg_labels'] = take_rows_cols(labels, rows, cols)
        results['hg_box'] = np.asarray(box, np.float32)
        results['hg_flip'] = flip
        results['img_shape'] = self.size
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(size={self.size}, '
                f'scale={self.scale}, ratio={self.ratio}, '
                f'flip_prob={self.flip_prob}, '
                f'interpolation={self.interpolation!r})')
