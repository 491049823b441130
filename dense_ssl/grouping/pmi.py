"""``pmi``: pointwise mutual information of neighbouring colours, globalized; no weights.

Isola, Zoran, Krishnan & Adelson, "Crisp boundary detection using pointwise mutual
information" (ECCV 2014): two colours that often sit next to each other *in this
image* (the two shades of a texture, the lit and shaded side of a surface) belong to
one region; two that are common but rarely neighbours meet at a boundary. The statistics
come from the image itself, so nothing is learned across images:

1. the photo (at the grouping size) is shrunk by ``downsample`` and its CIELab colours
   are quantised by k-means (``num_clusters`` centres, fitted on ``sample`` pixels with
   a fixed seed);
2. over all pixel pairs closer than ``radius`` the co-occurrence of clusters gives
   ``P(A, B)`` (plus a small uniform prior) and its marginal ``P(A)``;
   ``PMI_rho(A, B) = log(P(A, B)^rho / (P(A) P(B)))`` (``rho`` 1.25 as the paper);
3. the same pairs get affinities ``W_ij = exp(PMI_rho)`` and, as gPb's spectral step
   (:mod:`.spectral`), the oriented gradients of the normalised-cuts eigenvectors of
   ``W`` give a signal that is large between groups;
4. the output is ``(1 - weight) * multicue + weight * signal / max(signal)``: the local
   map (:mod:`.multicue`) keeps fine localisation, the PMI signal says which contours
   separate regions.

Cost: ~3 CPU s per image at long side 320 (0.33 img/s per core on BSDS500 val), most of it
the eigenproblem, solved by shift-invert (4x faster than Lanczos on these dense graphs).

``globalize=False`` (the ``pmi-local`` detector, :data:`PMI_LOCAL`) skips the eigenproblem:
step 3 becomes :func:`straddling_pmi`, every pair of rarely-neighbouring clusters voting
for a boundary at its midpoint, on the grouping-size grid, a quarter of the output. About
0.1 CPU s on top of multicue's: 3-4 img/s per core with the tree.

Settings fixed a priori (the paper's ``rho``; gPb's 17 eigenvectors), except
``downsample`` 2 / ``radius`` 3, ``weight`` 0.5 and the eigenvectors' derivative scale
``sigma`` 2 (gPb: 1), which were chosen among a handful of variants on the first 20 / 50
BSDS500 *train* photos (docs/grouping_quality.md; never on val). Hard cluster labels and
exhaustive pairs within ``radius`` replace the paper's kernel density estimate: smoothing
the co-occurrence over nearby centres made no difference on train.
"""
from dataclasses import dataclass
from typing import Optional, Tuple

import numpy as np
from PIL import Image
from scipy import ndimage
from scipy.cluster.vq import kmeans2, vq
from skimage.color import rgb2lab

from .multicue import MultiCueEdgeDetector
from .rgb import check_rgb_uint8
from .spectral import (
    _pair_windows,
    eigenvector_gradients,
    neighbour_pairs,
    symmetric_affinity,
    upsample_grid,
)


@dataclass(frozen=True)
class PMIConfig:
    """Settings of :class:`PMIEdgeDetector` (see the module doc). ``num_vectors`` and
    ``sigma`` are the eigenvectors' (``globalize``); ``orientations`` and ``smooth`` those of
    :func:`straddling_pmi` (``globalize=False``)."""
    num_clusters: int = 64
    rho: float = 1.25
    downsample: int = 2
    radius: int = 3
    num_vectors: int = 17
    sigma: float = 2.0
    weight: float = 0.5
    sample: int = 4000
    prior: float = 1e-3
    seed: int = 0
    globalize: bool = True
    orientations: int = 8
    smooth: float = 1.0


# ``--detector pmi-local``: the local signal (no eigenproblem) at the grouping size,
# a quarter of the output; chosen on BSDS500 train (docs/grouping_quality.md).
PMI_LOCAL = dict(globalize=False, downsample=1, weight=0.25)


def pmi_matrix(a: np.ndarray, b: np.ndarray, num_clusters: int, rho: float,
               prior: float = 1e-3) -> np.ndarray:
    """``(k, k)`` symmetric ``PMI_rho`` of the cluster pairs ``(a[n], b[n])``.

    Counts are symmetrised (a pair is seen both ways); ``prior`` times the mean count
    is added to every cell, so pairs never seen get a low, finite PMI.
    """
    k = int(num_clusters)
    counts = np.bincount(np.asarray(a) * k + np.asarray(b), minlength=k * k).reshape(k, k)
    counts = (counts + counts.T).astype(np.float64)
    counts += prior * counts.sum() / (k * k)
    joint = counts / counts.sum()
    marginal = joint.sum(1)
    return rho * np.log(joint) - np.log(marginal)[:, None] - np.log(marginal)[None, :]


def colour_clusters(image: np.ndarray, num_clusters: int, sample: int,
                    seed: int) -> Tuple[np.ndarray, int]:
    """``(H, W)`` k-means cluster id of each pixel's CIELab colour, and the number of
    centres (fewer than asked when the image has fewer distinct colours)."""
    lab = rgb2lab(image).reshape(-1, 3).astype(np.float64)
    rng = np.random.default_rng(seed)
    fit = lab[rng.choice(len(lab), min(len(lab), sample), replace=False)]
    k = min(num_clusters, len(np.unique(fit, axis=0)))
    centres, _ = kmeans2(fit, k, iter=10, minit='++', seed=seed)
    ids, _ = vq(lab, centres)
    return ids.reshape(image.shape[:2]), k


def straddling_pmi(labels: np.ndarray, pmi: np.ndarray, radius: int,
                   orientations: int = 8, smooth: float = 1.0) -> np.ndarray:
    """``(H, W)`` local boundary evidence from the PMI of the pixel pairs around each pixel.

    Every pair of :func:`neighbour_pairs` (up to ``radius`` apart) whose clusters are
    rarely neighbours (``PMI < 0``) votes ``-PMI`` at its midpoint, under its
    orientation (``orientations`` bins over ``[0, pi)``); each bin's votes are averaged
    per pixel over the pairs that have one there and smoothed by a Gaussian of
    ``smooth`` px, and a pixel takes its strongest orientation. Unlike
    gPb-style differences of half-disc histograms, no window has to hold a whole
    texture: a pair of its two shades has a high PMI and casts no vote.
    """
    h, w = labels.shape
    votes = np.zeros((orientations, h, w))
    counts = np.zeros((orientations, h, w))
    vote = np.maximum(-np.asarray(pmi, np.float64), 0)
    for dy, dx, _, y1, x0, x1 in _pair_windows(h, w, radius):
        value = vote[labels[:y1, x0:x1], labels[dy:dy + y1, x0 + dx:x1 + dx]]
        t = int(np.round(np.arctan2(dy, dx) % np.pi / np.pi * orientations)) % orientations
        my, mx = dy // 2, int(dx / 2)  # midpoint of the pair, rounded towards the first pixel
        votes[t, my:my + y1, x0 + mx:x1 + mx] += value
        counts[t, my:my + y1, x0 + mx:x1 + mx] += 1
    mean = votes / np.maximum(counts, 1)
    if smooth > 0:
        mean = ndimage.gaussian_filter(mean, (0, smooth, smooth), mode='nearest')
    return mean.max(0).astype(np.float32)


def pmi_signal(image: np.ndarray, config: PMIConfig = PMIConfig()) -> np.ndarray:
    """Steps 1-3 of the module doc (``globalize``: the eigenvectors' gradients; else
    :func:`straddling_pmi`): ``(H, W)`` in ``[0, 1]`` (1 at the strongest)."""
    image = check_rgb_uint8(image)
    h, w = image.shape[:2]
    f = max(1, int(config.downsample))
    hs, ws = -(-h // f), -(-w // f)
    if config.globalize and hs * ws <= config.num_vectors + 1:
        return np.zeros((h, w), np.float32)
    small = image if f == 1 else np.asarray(Image.fromarray(image).resize((ws, hs),
                                                                          Image.BILINEAR))
    labels, k = colour_clusters(small, config.num_clusters, config.sample, config.seed)
    if k < 2:  # one colour: no boundary to find
        return np.zeros((h, w), np.float32)
    flat = labels.ravel()
    i, j = neighbour_pairs(hs, ws, config.radius)
    pmi = pmi_matrix(flat[i], flat[j], k, config.rho, config.prior)
    if config.globalize:
        W = symmetric_affinity(i, j, np.exp(pmi[flat[i], flat[j]]), hs * ws)
        out = eigenvector_gradients(W, (hs, ws), (h, w), config.num_vectors, config.sigma,
                                    method='shift-invert')
    else:
        out = upsample_grid(straddling_pmi(labels, pmi, config.radius, config.orientations,
                                           config.smooth), (h, w))
    top = float(out.max())
    return out / top if top > 0 else out


class PMIEdgeDetector:
    """Image -> ``[0, 1]`` edge map: multicue plus the globalized PMI signal (module doc).

    Args:
        config: :class:`PMIConfig`; ``None`` for the defaults.
        **kwargs: Fields of :class:`PMIConfig` (e.g. ``weight=0.25``) instead of a config.
    """

    def __init__(self, config: Optional[PMIConfig] = None, **kwargs) -> None:
        self.config = config or PMIConfig(**kwargs)
        self.local = MultiCueEdgeDetector()

    def __call__(self, image: np.ndarray) -> np.ndarray:
        beta = float(self.config.weight)
        edges = (1 - beta) * self.local(image) + beta * pmi_signal(image, self.config)
        return np.clip(edges, 0, 1).astype(np.float32)
