"""The one input check every contour detector shares (no detector imports another).

:mod:`.edges` (the registry and the weight-free detectors), :mod:`.hed` and
:mod:`.multicue` all read images through :func:`check_rgb_uint8`; keeping it here
means ``edges -> hed`` is a one-way, lazy import and ``hed`` never imports ``edges``.
"""
import numpy as np


def check_rgb_uint8(image: np.ndarray) -> np.ndarray:
    """Return ``image`` as a contiguous RGB ``uint8`` array of shape (H, W, 3).

    Grey images are repeated over three channels and an alpha channel is dropped,
    so every detector sees the same kind of input.
    """
    image = np.asarray(image)
    if image.dtype != np.uint8:
        raise TypeError(f'expected a uint8 image, got {image.dtype}')
    if image.ndim == 2:
        image = np.repeat(image[:, :, None], 3, axis=2)
    if image.ndim != 3 or image.shape[2] not in (3, 4):
        raise ValueError(f'expected an (H, W, 3) RGB image, got shape {image.shape}')
    return np.ascontiguousarray(image[:, :, :3])
