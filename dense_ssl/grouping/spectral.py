"""Spectral globalization of a contour map: gPb's ``sPb`` (Arbelaez et al., TPAMI 2011).

A local contour map ``E`` only sees a neighbourhood; the spectral signal asks which
pixels *group* together over the whole image and keeps the contours between
groups. As in ``spectralPb.m`` of the BSDS500 code:

1. **Affinities from intervening contours** (Fowlkes' ``buildW``): pixels ``i`` and
   ``j`` closer than ``radius`` are linked with ``W_ij = exp(-max_{p on [i, j]} E(p) / rho)``
   (the strongest contour crossed by the straight segment between them).
2. **Generalised eigenvectors** of ``(D - W) v = lambda D v`` (normalised cuts), the
   ``num_vectors`` smallest, solved with :func:`scipy.sparse.linalg.eigsh` (Lanczos)
   as the largest of ``D^-1/2 W D^-1/2`` (``u = D^1/2 v``).
3. **Oriented gradients of the eigenvectors**: each eigenvector, rescaled to
   ``[0, 1]`` and divided by ``sqrt(lambda)``, is differentiated with a Gaussian
   first derivative (``sigma = 1`` px as in gPb). gPb sums ``|d/d theta|`` over 8
   orientations per orientation channel and later takes the max over orientations;
   the max over orientations of ``|d/d theta (G * v)|`` is exactly the gradient
   magnitude ``|grad (G * v)|``, which we use (one filter pair instead of 8).
4. **Combination with the local map**: ``(1 - weight) * E + weight * sPb / max(sPb)``.

Speed: the eigenproblem is solved on the map shrunk by ``downsample`` (default 3:
a 320 x 214 map becomes 107 x 72, 7.7k nodes) and the eigenvectors are resized back
bilinearly before differentiation, as gPb's ``rsz`` option does. Every parameter
is fixed a priori (gPb's defaults, or stated here), never fitted on BSDS val.
"""
from dataclasses import asdict, dataclass
from typing import Dict, Tuple

import numpy as np
from scipy import ndimage, sparse
from scipy.sparse.linalg import eigsh


@dataclass(frozen=True)
class SpectralConfig:
    """Settings of :class:`SpectralGlobalizer` (saved in a store's metadata).

    Attributes:
        radius: Affinity radius in pixels of the shrunk map (gPb: 5 px of a 481 x 321
            photo; 2 px of a map shrunk 3x from long side 320 is 6 px there).
        rho: Intervening-contour scale: ``W = exp(-max E / rho)`` (BSE default 0.1).
        num_vectors: Eigenvectors including the constant one (gPb: 17).
        sigma: Gaussian derivative scale in pixels of the grouping size (gPb: 1).
        weight: Share of the spectral signal in the output (gPb's learned weights give
            sPb about a quarter of the total, 0.0139 of 0.0585; we take 0.25).
        downsample: Shrink factor of the map the eigenproblem is solved on (3: a
            320 x 214 map gives 7.7k nodes, ~0.4 s for 17 vectors; 2: 17k, ~1.2 s).
    """
    radius: int = 2
    rho: float = 0.1
    num_vectors: int = 17
    sigma: float = 1.0
    weight: float = 0.25
    downsample: int = 3


def _segment_offsets(radius: int):
    """Offsets ``(dy, dx)`` of one half-disc (each unordered pair once) with the
    pixels of the straight segment from ``(0, 0)`` to the offset, end points included."""
    out = []
    for dy in range(0, radius + 1):
        for dx in range(-radius, radius + 1):
            if (dy == 0 and dx <= 0) or dy * dy + dx * dx > radius * radius:
                continue
            n = max(abs(dy), abs(dx))
            t = np.arange(n + 1) / n
            pts = sorted({(int(round(dy * s)), int(round(dx * s))) for s in t})
            out.append(((dy, dx), pts))
    return out


def _pair_windows(height: int, width: int, radius: int):
    """Per half-disc offset ``(dy, dx)`` (:func:`_segment_offsets`): the offset, its segment
    points and the window ``[0, y1) x [x0, x1)`` of first pixels whose partner
    ``(y + dy, x + dx)`` lies inside the image."""
    for (dy, dx), pts in _segment_offsets(radius):
        y1, x0, x1 = height - dy, max(0, -dx), min(width, width - dx)
        if y1 > 0 and x1 > x0:
            yield dy, dx, pts, y1, x0, x1


def neighbour_pairs(height: int, width: int, radius: int) -> Tuple[np.ndarray, np.ndarray]:
    """Row-major ids ``(i, j)`` of every unordered pixel pair with ``0 < |i - j| <= radius``,
    offset by offset in the order of :func:`_pair_windows`."""
    ids = np.arange(height * width).reshape(height, width)
    rows, cols = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
    for dy, dx, _, y1, x0, x1 in _pair_windows(height, width, radius):
        rows.append(ids[:y1, x0:x1].ravel())
        cols.append(ids[dy:dy + y1, x0 + dx:x1 + dx].ravel())
    return np.concatenate(rows), np.concatenate(cols)


def symmetric_affinity(i: np.ndarray, j: np.ndarray, values: np.ndarray,
                       num_nodes: int) -> sparse.csr_matrix:
    """Sparse symmetric ``W`` with ``W_ij = W_ji = values`` for the pairs ``(i, j)``."""
    return sparse.coo_matrix(
        (np.concatenate([values, values]), (np.concatenate([i, j]), np.concatenate([j, i]))),
        shape=(num_nodes, num_nodes)).tocsr()


def intervening_contour_affinity(edges: np.ndarray, radius: int, rho: float) -> sparse.csr_matrix:
    """Sparse symmetric ``W`` over the pixels of ``edges`` (row-major ids), no self loops.

    ``W_ij = exp(-max E(p) / rho)`` over the pixels ``p`` of the segment from ``i`` to
    ``j`` (both included), for ``0 < |i - j| <= radius``.
    """
    e = np.asarray(edges, np.float64)
    h, w = e.shape
    vals = [np.zeros(0)]
    for _, _, pts, y1, x0, x1 in _pair_windows(h, w, radius):
        m = np.zeros((y1, x1 - x0))
        for py, px in pts:
            np.maximum(m, e[py:y1 + py, x0 + px:x1 + px], out=m)
        vals.append(np.exp(-m.ravel() / rho))
    i, j = neighbour_pairs(h, w, radius)  # the same windows, in the same order
    return symmetric_affinity(i, j, np.concatenate(vals), h * w)


def ncut_eigenvectors(W: sparse.spmatrix, k: int, tol: float = 1e-4,
                      method: str = 'lanczos') -> Tuple[np.ndarray, np.ndarray]:
    """The ``k`` smallest generalised eigenpairs of ``(D - W) v = lambda D v``.

    ``method='lanczos'`` iterates on ``D^-1/2 W D^-1/2`` itself; ``'shift-invert'``
    on ``(D^-1/2 W D^-1/2 - 1.001 I)^-1`` (one sparse LU), whose wanted eigenvalues
    are far apart: for dense affinities with many near-1 eigenvalues (PMI, radius 3)
    it is 4x faster (measured 2.6 s vs 10.5 s on a 17k-node grid), for the sparser
    intervening-contour graphs of :func:`spectral_signal` both are alike.

    Returns ``(eigenvalues (k,), vectors (N, k))``, ascending; ``vectors`` are the
    generalised ones (``v = D^-1/2 u``), the first one constant.
    """
    if method not in ('lanczos', 'shift-invert'):
        raise ValueError(f"method must be 'lanczos' or 'shift-invert', got {method!r}")
    d = np.asarray(W.sum(axis=1)).ravel()
    d = np.maximum(d, 1e-12)
    inv_sqrt = sparse.diags(1.0 / np.sqrt(d))
    M = (inv_sqrt @ W @ inv_sqrt).tocsr()
    k = min(k, W.shape[0] - 1)
    # Largest eigenvalues mu of D^-1/2 W D^-1/2 are lambda = 1 - mu. Lanczos on M with
    # tol 1e-4 was as fast as shift-invert (sparse LU) on 8k-node maps and needs no
    # factorization (measured: 0.41 s vs 0.36 s for 17 vectors). A fixed random start
    # makes it deterministic (sqrt(d) itself would be an exact eigenvector: no good).
    v0 = np.random.RandomState(0).uniform(0.5, 1.5, W.shape[0])
    if method == 'lanczos':
        mu, u = eigsh(M, k=k, which='LA', v0=v0, tol=tol)
    else:  # mu <= 1, so M - 1.001 I is negative definite: never singular
        mu, u = eigsh(M.tocsc(), k=k, sigma=1.001, which='LM', v0=v0, tol=tol)
    vals = 1.0 - mu
    order = np.argsort(vals)
    vals, u = np.maximum(vals[order], 0.0), u[:, order]
    return vals, u / np.sqrt(d)[:, None]


def spectral_signal(edges: np.ndarray, config: SpectralConfig = SpectralConfig()) -> np.ndarray:
    """gPb's sPb of a contour map ``edges (H, W)`` in ``[0, 1]``, at the same size
    (not yet scaled: the larger, the stronger a contour between groups)."""
    edges = np.asarray(edges, np.float32)
    h, w = edges.shape
    f = max(1, int(config.downsample))
    small = edges
    if f > 1:
        # max-pool keeps thin contours that an average would dilute
        hs, ws = -(-h // f), -(-w // f)
        pad = np.zeros((hs * f, ws * f), np.float32)
        pad[:h, :w] = edges
        small = pad.reshape(hs, f, ws, f).max(axis=(1, 3))
    hs, ws = small.shape
    if hs * ws <= config.num_vectors + 1:
        return np.zeros_like(edges)
    W = intervening_contour_affinity(small, config.radius, config.rho)
    return eigenvector_gradients(W, (hs, ws), (h, w), config.num_vectors, config.sigma)


def upsample_grid(img: np.ndarray, size: Tuple[int, int]) -> np.ndarray:
    """A map solved on a shrunk grid, back at ``size`` (bilinear, cell-aligned)."""
    (hs, ws), (h, w) = img.shape, size
    if (hs, ws) == (h, w):
        return img
    return ndimage.zoom(img, (h / hs, w / ws), order=1, mode='nearest', grid_mode=True)[:h, :w]


def eigenvector_gradients(W: sparse.spmatrix, grid: Tuple[int, int], size: Tuple[int, int],
                          num_vectors: int, sigma: float, method: str = 'lanczos') -> np.ndarray:
    """Steps 2-3 of the module doc for any affinity ``W`` over a ``grid`` of pixels
    (row-major ids): sum over the non-constant eigenvectors, each resized to ``size``,
    rescaled to ``[0, 1]`` and divided by ``sqrt(lambda)``, of its gradient magnitude
    (``method``: that of :func:`ncut_eigenvectors`)."""
    (hs, ws), (h, w) = grid, size
    vals, vecs = ncut_eigenvectors(W, num_vectors, method=method)
    out = np.zeros((h, w), np.float64)
    for lam, v in zip(vals[1:], vecs.T[1:]):  # the first one is constant
        if lam <= 1e-9:
            continue
        img = upsample_grid(v.reshape(hs, ws), (h, w))
        span = img.max() - img.min()
        if span <= 0:
            continue
        img = (img - img.min()) / span / np.sqrt(lam)
        gy = ndimage.gaussian_filter(img, sigma, order=(1, 0), mode='nearest')
        gx = ndimage.gaussian_filter(img, sigma, order=(0, 1), mode='nearest')
        out += np.hypot(gy, gx)
    return out.astype(np.float32)


class SpectralGlobalizer:
    """Local contour map -> globalized map: ``(1 - weight) E + weight sPb / max sPb``.

    Wraps any detector's output (``gradient``, ``multicue``, ``hed``, ``sed``); the
    result stays in ``[0, 1]``.
    """

    def __init__(self, config: SpectralConfig = SpectralConfig()) -> None:
        self.config = config

    def to_dict(self) -> Dict:
        return asdict(self.config)

    def __call__(self, edges: np.ndarray) -> np.ndarray:
        edges = np.clip(np.asarray(edges, np.float32), 0.0, 1.0)
        s = spectral_signal(edges, self.config)
        top = float(s.max())
        if top <= 0:
            return edges
        beta = float(self.config.weight)
        return np.clip((1 - beta) * edges + beta * s / top, 0.0, 1.0).astype(np.float32)
