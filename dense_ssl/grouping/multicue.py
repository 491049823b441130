"""``multicue``: brightness, colour and texture gradients at several scales, no weights.

The weight-free cousin of gPb's ``mPb`` (Martin et al. 2004; Arbelaez et al. 2011),
built from linear filters so that it runs in a fraction of a second:

* **cues**: the three CIELab channels (brightness ``L``, colour ``a``, ``b``) and
  texture channels: the local energy of a small filter bank on ``L`` (the rectified
  responses to Gaussian first derivatives along x and y and to a Laplacian of
  Gaussian at ``texture_sigmas``, each smoothed by a Gaussian of ``3 sigma``), i.e.
  "how much texture of each kind is here", whose changes are texture boundaries;
* **oriented gradients**: for each cue and scale ``s`` the Gaussian derivatives
  ``(d/dy, d/dx)`` of the cue; the response at orientation ``theta`` is
  ``cos(theta) d/dx + sin(theta) d/dy`` and its maximum over ``theta`` is the
  gradient magnitude, reached at the orientation of the gradient (the contour
  *normal*); multiplied by ``s`` (scale normalisation, a step answers alike at
  every scale);
* **combination**: each cue's magnitude, averaged over scales, is divided by a
  fixed constant (:data:`CUE_SCALES`) and the cues are averaged with equal weight;
  a fixed linear map sends the sum to ``[0, 1]``.

The constants are not learned weights: :data:`CUE_SCALES` are the 99th percentiles
of each cue's response over the first 20 BSDS500 *train* photos at long side 320
(never val), rounded; equal cue weights are chosen a priori.
"""
from typing import Dict, Sequence, Tuple

import numpy as np
from scipy import ndimage
from skimage.color import rgb2lab

from .rgb import check_rgb_uint8

# 99th percentile of each cue's scale-averaged gradient magnitude on BSDS500 train
# photos 0-19 (sorted ids) at long side 320, rounded to two significant digits.
CUE_SCALES: Dict[str, float] = {'L': 16.0, 'a': 9.5, 'b': 7.8, 'texture': 2.9}


def oriented_gradient(channel: np.ndarray, sigma: float) -> Tuple[np.ndarray, np.ndarray]:
    """Scale-normalised Gaussian derivatives ``(gy, gx) * sigma`` of one channel."""
    gy = ndimage.gaussian_filter(channel, sigma, order=(1, 0), mode='reflect')
    gx = ndimage.gaussian_filter(channel, sigma, order=(0, 1), mode='reflect')
    return gy * sigma, gx * sigma


def texture_channels(lightness: np.ndarray, sigmas: Sequence[float]) -> np.ndarray:
    """``(C, H, W)`` local filter-bank energy of the ``L`` channel (see module doc)."""
    out = []
    for s in sigmas:
        for order in ((1, 0), (0, 1)):
            r = ndimage.gaussian_filter(lightness, s, order=order, mode='reflect') * s
            out.append(ndimage.gaussian_filter(np.abs(r), 3 * s, mode='reflect'))
        log = ndimage.gaussian_laplace(lightness, s, mode='reflect') * s * s
        out.append(ndimage.gaussian_filter(np.abs(log), 3 * s, mode='reflect'))
    return np.stack(out)


class MultiCueEdgeDetector:
    """Image -> ``[0, 1]`` edge map from brightness, colour and texture gradients.

    Args:
        sigmas: Scales (px) of the brightness/colour gradients.
        texture_sigmas: Filter-bank scales (px) of the texture channels; their
            gradients are taken at ``2 * sigma`` of each (texture edges are wider).
        full_response: The equal-weight cue average mapped to 1 (clipped above).
    """

    def __init__(self, sigmas: Sequence[float] = (1.0, 2.0, 4.0),
                 texture_sigmas: Sequence[float] = (1.0, 2.0),
                 full_response: float = 1.0) -> None:
        self.sigmas = tuple(float(s) for s in sigmas)
        self.texture_sigmas = tuple(float(s) for s in texture_sigmas)
        self.full_response = float(full_response)

    def cues(self, image: np.ndarray) -> Dict[str, Tuple[np.ndarray, np.ndarray]]:
        """Per cue: magnitude (scale-averaged, unscaled) and orientation of the normal in
        ``[0, pi)`` (that of the strongest scale's gradient)."""
        lab = rgb2lab(check_rgb_uint8(image)).astype(np.float32)
        channels = {'L': lab[:, :, 0:1], 'a': lab[:, :, 1:2], 'b': lab[:, :, 2:3]}
        out = {}
        for name, chans in channels.items():
            out[name] = self._magnitude(chans.transpose(2, 0, 1), self.sigmas)
        tex = texture_channels(lab[:, :, 0], self.texture_sigmas)
        out['texture'] = self._magnitude(tex, tuple(2 * s for s in self.texture_sigmas))
        return out

    @staticmethod
    def _magnitude(chans: np.ndarray, sigmas: Sequence[float]) -> Tuple[np.ndarray, np.ndarray]:
        total = np.zeros(chans.shape[1:], np.float32)
        best = np.full(chans.shape[1:], -1.0, np.float32)
        theta = np.zeros(chans.shape[1:], np.float32)
        for s in sigmas:
            gy2 = np.zeros_like(total)
            gx2 = np.zeros_like(total)
            gxy = np.zeros_like(total)
            for c in chans:
                gy, gx = oriented_gradient(c, s)
                gy2 += gy * gy
                gx2 += gx * gx
                gxy += gx * gy
            # strongest orientation of sum_c (cos t gx + sin t gy)^2: the structure
            # tensor's main axis; its maximum value is the largest eigenvalue.
            tr, det_half = gx2 + gy2, np.sqrt((gx2 - gy2) ** 2 + 4 * gxy * gxy)
            mag = np.sqrt(np.maximum(0.5 * (tr + det_half), 0))
            ang = np.mod(0.5 * np.arctan2(2 * gxy, gx2 - gy2), np.pi)
            total += mag
            better = mag > best
            best = np.where(better, mag, best)
            theta = np.where(better, ang, theta)
        return total / len(sigmas), theta

    def oriented(self, image: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Edge strength ``(H, W)`` in ``[0, 1]`` and the contour normal's orientation
        ``(H, W)`` in ``[0, pi)`` (0 = normal along x, i.e. a vertical contour)."""
        cues = self.cues(image)
        strength = sum(m / CUE_SCALES[k] for k, (m, _) in cues.items()) / len(cues)
        # orientation of the cue that contributes most at each pixel
        stack = np.stack([m / CUE_SCALES[k] for k, (m, _) in cues.items()])
        thetas = np.stack([t for _, t in cues.values()])
        theta = np.take_along_axis(thetas, stack.argmax(0)[None], 0)[0]
        return np.clip(strength / self.full_response, 0, 1).astype(np.float32), theta

    def __call__(self, image: np.ndarray) -> np.ndarray:
        return self.oriented(image)[0]
