"""MoCo-v2's colour augmentations on uint8 BGR views, in a few OpenCV passes.

MMSelfSup 1.0.0 runs each colour operation through Pillow: every one of the
four jitter operations converts the view to a PIL image and back (with a
reversed-channel copy each way), the hue shift goes through Pillow's HSV
conversion (the slowest step of the whole MoCo-v2 pipeline), the grayscale is a
float64 weighted sum and the blur a Pillow filter. The functions here compute
the same operations on the array directly:

* brightness and contrast are per-value maps, applied as one 256-entry lookup
  table each, with Pillow's arithmetic (``ImageEnhance`` blends in float32 and
  truncates), so they equal MMSelfSup's output exactly;
* saturation blends with the gray image (``cv2.addWeighted``, within one level
  of Pillow's truncation);
* hue rotates OpenCV's 8-bit HSV hue (Pillow's and OpenCV's HSV round slightly
  differently: a few levels on a few pixels);
* grayscale uses MMSelfSup's channel weights and truncation;
* blur is a Gaussian of the same sigma (Pillow approximates it by three box
  blurs).

The random parameters are drawn as MMSelfSup draws them
(:func:`sample_colour_params`), so the views have the same distribution; the
tests compare parameters and output statistics with MMSelfSup's pipeline.
"""
from typing import NamedTuple, Optional, Sequence, Tuple

import cv2
import numpy as np

# MMSelfSup's RandomGrayscale weights for B, G, R (they are normalised by
# their sum, 0.9999, as mmcv does)
GRAY_WEIGHTS_BGR = (0.114, 0.587, 0.2989)


class ColourParams(NamedTuple):
    """The random choices of one view's colour augmentation.

    ``order`` is the order of the jitter operations (0 brightness, 1 contrast,
    2 saturation, 3 hue) or ``None`` when the jitter was not applied; ``sigma``
    is the blur's sigma or ``None``.
    """
    order: Optional[Tuple[int, ...]]
    brightness: float
    contrast: float
    saturation: float
    hue: float
    gray: bool
    sigma: Optional[float]


def _range(value: float, centre: float, clip_zero: bool) -> Tuple[float, float]:
    lo, hi = centre - value, centre + value
    return (max(lo, 0.0) if clip_zero else lo), hi


def sample_colour_params(rng, jitter_prob: float = 0.8,
                         brightness: float = 0.4, contrast: float = 0.4,
                         saturation: float = 0.4, hue: float = 0.1,
                         gray_prob: float = 0.2, blur_prob: float = 0.5,
                         blur_sigma: Sequence[float] = (0.1, 2.0)
                         ) -> ColourParams:
    """Draw one view's colour choices with MMSelfSup's distributions.

    RandomApply(ColorJitter) with probability ``jitter_prob``: a random order
    of the four operations and factors uniform in ``[max(0, 1 - b), 1 + b]``
    (hue: ``[-h, h]``); RandomGrayscale with ``gray_prob``; RandomGaussianBlur
    with ``blur_prob``, sigma uniform in ``blur_sigma``.
    """
    order, factors = None, (1.0, 1.0, 1.0, 0.0)
    if rng.rand() < jitter_prob:
        order = tuple(int(i) for i in rng.permutation(4))
        factors = (rng.uniform(*_range(brightness, 1, True)),
                   rng.uniform(*_range(contrast, 1, True)),
                   rng.uniform(*_range(saturation, 1, True)),
                   rng.uniform(-hue, hue))
    gray = bool(rng.rand() < gray_prob)
    sigma = (float(rng.uniform(*blur_sigma))
             if rng.rand() < blur_prob else None)
    return ColourParams(order, *(float(f) for f in factors), gray, sigma)


def _blend_lut(factor: float, degenerate: float) -> np.ndarray:
    """Pillow's ``Image.blend(degenerate, img, factor)`` as a lookup table:
    float32 ``d + factor * (v - d)``, clipped, truncated."""
    v = np.arange(256, dtype=np.float32)
    d = np.float32(degenerate)
    out = d + np.float32(factor) * (v - d)
    return np.clip(out, 0, 255).astype(np.uint8)


def gray_mean(img: np.ndarray) -> int:
    """Pillow's contrast pivot: the mean of the L image, rounded."""
    b, g, r, _ = cv2.mean(img)
    return int(0.299 * r + 0.587 * g + 0.114 * b + 0.5)


def adjust_brightness(img: np.ndarray, factor: float) -> np.ndarray:
    return cv2.LUT(img, _blend_lut(factor, 0.0))


def adjust_contrast(img: np.ndarray, factor: float) -> np.ndarray:
    return cv2.LUT(img, _blend_lut(factor, gray_mean(img)))


def adjust_saturation(img: np.ndarray, factor: float) -> np.ndarray:
    gray = cv2.cvtColor(cv2.cvtColor(img, cv2.COLOR_BGR2GRAY),
                        cv2.COLOR_GRAY2BGR)
    # -0.5: OpenCV rounds, Pillow truncates
    return cv2.addWeighted(img, factor, gray, 1.0 - factor, -0.5)


def hue_shift_levels(factor: float) -> int:
    """MMSelfSup's shift of Pillow's 8-bit hue: ``np.uint8(factor * 255)``
    (truncated towards zero, then modulo 256)."""
    return int(np.trunc(factor * 255)) % 256


def adjust_hue(img: np.ndarray, factor: float) -> np.ndarray:
    shift = hue_shift_levels(factor)
    if shift == 0:
        return img
    hsv = cv2.cvtColor(img, cv2.COLOR_BGR2HSV_FULL)
    # the same shift of OpenCV's 8-bit (FULL) hue matched Pillow best (mean
    # difference 0.3 levels, the round trip's own; scaled by 256/255: 0.6)
    lut = ((np.arange(256) + shift) % 256).astype(np.uint8)
    hsv[..., 0] = cv2.LUT(hsv[..., 0], lut)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR_FULL)


def to_gray(img: np.ndarray) -> np.ndarray:
    """MMSelfSup's RandomGrayscale (keep_channels): weighted sum, truncated,
    repeated on the three channels."""
    w = np.asarray(GRAY_WEIGHTS_BGR) / sum(GRAY_WEIGHTS_BGR)
    # cv2.transform rounds; -0.5 turns that into truncation
    m = np.array([[w[0], w[1], w[2], -0.5]], np.float64)
    gray = cv2.transform(img, m)
    return cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)


def gaussian_blur(img: np.ndarray, sigma: float) -> np.ndarray:
    return cv2.GaussianBlur(img, (0, 0), sigma, borderType=cv2.BORDER_REPLICATE)


_JITTER_OPS = (adjust_brightness, adjust_contrast, adjust_saturation,
               adjust_hue)


def apply_colour(img: np.ndarray, p: ColourParams) -> np.ndarray:
    """Apply ``p`` to a uint8 BGR view (MMSelfSup's order: jitter, grayscale,
    blur). Returns a new array unless nothing applies."""
    if p.order is not None:
        factors = (p.brightness, p.contrast, p.saturation, p.hue)
        for op in p.order:
            img = _JITTER_OPS[op](img, factors[op])
    if p.gray:
        img = to_gray(img)
    if p.sigma is not None:
        img = gaussian_blur(img, p.sigma)
    return img
