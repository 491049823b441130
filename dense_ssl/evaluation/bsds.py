"""The BSDS500 benchmarks (Arbelaez et al., TPAMI 2011) as pure numpy / scipy functions.

The official MATLAB + C++ benchmark (``reference_benchmark`` of the January 2013
release) is the specification; each function names the file it follows.

* Boundaries (``evaluation_bdry_image.m``): the soft boundary map is thresholded at
  ``nthresh`` levels, thinned (``bwmorph(.., 'thin', inf)`` = ``skimage.morphology.thin``)
  and matched to each human's boundary pixels (``correspondPixels``: a one-to-one
  matching of pixels at most ``0.0075`` of the image diagonal apart). Recall counts
  matched human pixels over all humans; a machine pixel is correct if any human
  matched it. :func:`collect_boundaries` gives ODS / OIS / AP as ``collect_eval_bdry.m``.
* Regions (``evaluation_reg_image.m``): segmentation covering, probabilistic Rand
  index and variation of information of the segmentation at each threshold, and
  :func:`collect_regions` as ``collect_eval_reg.m``.

The matching. ``correspondPixels`` solves a min-cost perfect assignment (CSA) on a
graph where every pixel may also go to an outlier at cost ``100 * maxDist``: since an
outlier costs more than any chain of real edges, this is a *maximum-cardinality*
matching, ties broken by total distance (the official code makes the outlier edges
sparse and random, so its own counts vary by ~1e-4 between runs). Two solvers:

* ``'exact'``: that min-cost problem, solved exactly by scipy's
  ``min_weight_full_bipartite_matching`` (LAPJVsp) on the graph plus one outlier
  per pixel; ~5x slower.
* ``'fast'`` (default): maximum-cardinality matching by max-flow (scipy's Dinic),
  grown in stages of increasing distance (pixels 0-1 px apart first, then 2 px, then
  all): augmenting paths never unmatch a pixel, so the pixels a close match exists
  for stay matched, as in the min-cost solution. Same recall counts as ``'exact'``
  (the cardinality is unique); precision counts within ~1e-3 (see docs/bsds500.md).
"""
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import numpy as np
from scipy import ndimage, sparse
from scipy.sparse.csgraph import maximum_flow, min_weight_full_bipartite_matching
from skimage.morphology import thin

try:  # the Guo-Hall tables of skimage.morphology.thin (private names; else use thin itself)
    from skimage.morphology._skeletonize import G123_LUT, G123P_LUT
    _THIN_LUTS = (np.asarray(G123_LUT, bool), np.asarray(G123P_LUT, bool))
except ImportError:  # pragma: no cover
    _THIN_LUTS = None

MAX_DIST = 0.0075  # of the image diagonal (evaluation_bdry_image.m)
OUTLIER_COST = 100  # in units of maxDist (correspondPixels.cc)
MATCH_METHODS = ('fast', 'exact')
_STAGES = (1.0, 2.0, np.inf)  # distance caps of the 'fast' solver, in pixels


def thresholds(nthresh: int) -> np.ndarray:
    """``linspace(1/(n+1), 1-1/(n+1), n)``: the benchmark's levels in (0, 1)."""
    return np.linspace(1.0 / (nthresh + 1), 1.0 - 1.0 / (nthresh + 1), nthresh)


# ---- boundary matching (correspondPixels) -------------------------------------------
def _disc(radius: float) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Offsets within ``radius``, nearest first (so each pixel lists its closest
    candidates first, which the max-flow's first, greedy phase then prefers)."""
    r = int(np.ceil(radius))
    dy, dx = np.mgrid[-r:r + 1, -r:r + 1]
    d2 = (dy * dy + dx * dx).ravel()
    keep = np.flatnonzero(d2 <= radius * radius)
    keep = keep[np.argsort(d2[keep], kind='stable')]
    return dy.ravel()[keep], dx.ravel()[keep], np.sqrt(d2[keep])


class _PixelIndex:
    """Positions of one boundary map's pixels, for looking up neighbours of others."""

    def __init__(self, bmap: np.ndarray, radius: float) -> None:
        self.r = int(np.ceil(radius))
        self.dy, self.dx, self.dist = _disc(radius)
        h, w = bmap.shape
        ys, xs = np.nonzero(bmap)
        self.count = len(ys)
        self.index = np.full((h + 2 * self.r, w + 2 * self.r), -1, np.int32)
        self.index[ys + self.r, xs + self.r] = np.arange(self.count, dtype=np.int32)

    def pairs(self, ys: np.ndarray, xs: np.ndarray):
        """``(i, j, dist)`` for every query pixel ``i`` and indexed pixel ``j`` within
        the radius; sorted by ``i``, then by distance."""
        j = self.index[ys[:, None] + (self.dy + self.r), xs[:, None] + (self.dx + self.r)]
        keep = j >= 0
        i = np.broadcast_to(np.arange(len(ys), dtype=np.int32)[:, None], j.shape)[keep]
        return i, j[keep], np.broadcast_to(self.dist, j.shape)[keep]


def candidate_pairs(bmap1: np.ndarray, bmap2: np.ndarray, radius: float):
    """Every (pixel of bmap1, pixel of bmap2) pair at most ``radius`` apart.

    Returns ``(i, j, dist, n1, n2)``: indices into the row-major lists of True
    pixels of each map and their Euclidean distance.
    """
    index = _PixelIndex(bmap2, radius)
    ys, xs = np.nonzero(bmap1)
    return index.pairs(ys, xs) + (len(ys), index.count)


def _compact(i, j):
    ui, ii = np.unique(i, return_inverse=True)
    uj, jj = np.unique(j, return_inverse=True)
    return ui, ii, uj, jj


def _exact_matching(i, j, dist, radius):
    """Min-cost assignment with an outlier per pixel (the CSA problem, exactly)."""
    ui, ii, uj, jj = _compact(i, j)
    a, b = len(ui), len(uj)
    # Integer costs as correspondPixels.cc (multiplier 100); +1 keeps zero-distance
    # edges stored (every perfect matching has a + b edges, so the optimum is the same).
    outlier = np.ceil(OUTLIER_COST * radius * 100) + 1
    # rows: real pixels of map 1, then outliers of map 2; cols: map 2, then outliers of map 1.
    rows = np.concatenate([ii, np.arange(a), a + jj, a + np.arange(b)])
    cols = np.concatenate([jj, b + np.arange(a), b + ii, np.arange(b)])
    cost = np.concatenate([np.rint(dist * 100) + 1, np.full(a, outlier),
                           np.full(len(ii), outlier), np.full(b, outlier)])
    graph = sparse.csr_matrix((cost, (rows, cols)), shape=(a + b, a + b))
    r, c = min_weight_full_bipartite_matching(graph)
    real = (r < a) & (c < b)
    return ui[r[real]], uj[c[real]]


def _augment(mate1: np.ndarray, mate2: np.ndarray, i: np.ndarray, j: np.ndarray) -> None:
    """Grow the matching ``mate1`` / ``mate2`` (in place) to a maximum one on edges
    ``(i, j)`` (sorted by ``i``) by one max-flow on the residual graph: augmenting
    paths keep every matched pixel matched."""
    a, b = len(mate1), len(mate2)
    n = a + b + 2
    src, snk = a + b, a + b + 1
    free = mate1[i] != j
    free1 = np.flatnonzero(mate1 < 0)
    # Rows of the residual graph: left pixel -> its unmatched neighbours; right pixel ->
    # its mate (matched edges run backwards) or the sink; source -> free left pixels.
    out_right = np.where(mate2 >= 0, mate2, snk)
    counts = np.concatenate([np.bincount(i[free], minlength=a), np.ones(b, np.int64),
                             [len(free1), 0]])
    indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    indices = np.concatenate([a + j[free], out_right, free1]).astype(np.int32)
    cap = sparse.csr_matrix((np.ones(len(indices), np.int32), indices, indptr), shape=(n, n))
    flow = maximum_flow(cap, src, snk, method='dinic').flow
    rows = np.repeat(np.arange(n, dtype=np.int32), np.diff(flow.indptr))
    new = (flow.data > 0) & (rows < a) & (flow.indices >= a) & (flow.indices < a + b)
    # Every pixel on an augmenting path gets a new mate; the matched edges the flow
    # took back are replaced by these, so mate2 is rebuilt from mate1.
    mate1[rows[new]] = flow.indices[new] - a
    mate2[:] = -1
    has = mate1 >= 0
    mate2[mate1[has]] = np.flatnonzero(has)


def _staged_matching(i, j, dist, stages=None):
    ui, ii, uj, jj = _compact(i, j)
    mate1 = np.full(len(ui), -1, np.int64)
    mate2 = np.full(len(uj), -1, np.int64)
    for cap in (stages or _STAGES):
        keep = dist <= cap + 1e-9
        if keep.any():
            _augment(mate1, mate2, ii[keep], jj[keep])
    has = mate1 >= 0
    return ui[has], uj[mate1[has]]


def _match(i, j, dist, radius, method):
    if method not in MATCH_METHODS:
        raise ValueError(f'method must be one of {MATCH_METHODS}, got {method!r}')
    if not len(i):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return _exact_matching(i, j, dist, radius) if method == 'exact' \
        else _staged_matching(i, j, dist)


def correspond_pixels(bmap1: np.ndarray, bmap2: np.ndarray, max_dist: float = MAX_DIST,
                      method: str = 'fast') -> Tuple[np.ndarray, np.ndarray]:
    """Which pixels of two boundary maps are matched (``correspondPixels``).

    Args:
        bmap1: ``bool (H, W)`` machine boundaries (thinned).
        bmap2: ``bool (H, W)`` human boundaries.
        max_dist: Largest distance of a match, as a fraction of the image diagonal.
        method: ``'fast'`` or ``'exact'`` (see the module docstring).

    Returns:
        ``bool (H, W)`` maps of the matched pixels of ``bmap1`` and of ``bmap2``
        (``match1 > 0`` and ``match2 > 0`` of the MATLAB function).
    """
    bmap1, bmap2 = np.asarray(bmap1, bool), np.asarray(bmap2, bool)
    if bmap1.shape != bmap2.shape:
        raise ValueError(f'boundary maps differ in size: {bmap1.shape} vs {bmap2.shape}')
    radius = max_dist * np.hypot(*bmap1.shape)
    i, j, dist, n1, n2 = candidate_pairs(bmap1, bmap2, radius)
    a, b = _match(i, j, dist, radius, method)
    m1, m2 = np.zeros(n1, bool), np.zeros(n2, bool)
    m1[a], m2[b] = True, True
    out1, out2 = np.zeros(bmap1.shape, bool), np.zeros(bmap2.shape, bool)
    out1[bmap1], out2[bmap2] = m1, m2
    return out1, out2


def thin_boundaries(bmap: np.ndarray) -> np.ndarray:
    """``bwmorph(bmap, 'thin', inf)``: ``skimage.morphology.thin``'s algorithm and
    look-up tables (Guo & Hall), evaluated only at the boundary pixels.

    The same result as ``skimage.morphology.thin`` (tested), ~10x faster on
    boundary maps, which are sparse: the library correlates the whole image twice
    per iteration.
    """
    bmap = np.asarray(bmap, bool)
    if _THIN_LUTS is None:
        return thin(bmap)
    h, w = bmap.shape
    img = np.zeros((h + 2, w + 2), np.uint8)
    img[1:-1, 1:-1] = bmap
    flat = img.ravel()
    stride = w + 2
    # Neighbour weights of skimage's correlation mask [[8,4,2],[16,0,1],[32,64,128]].
    offsets = np.array([1, -stride + 1, -stride, -stride - 1, -1, stride - 1, stride,
                        stride + 1])
    weights = np.array([1, 2, 4, 8, 16, 32, 64, 128], np.uint8)
    pix = np.flatnonzero(flat)
    while True:
        before = len(pix)
        for lut in _THIN_LUTS:
            code = np.zeros(len(pix), np.uint8)
            for off, wt in zip(offsets, weights):
                code |= flat[pix + off] * wt
            drop = lut[code]
            flat[pix[drop]] = 0
            pix = pix[~drop]
        if len(pix) == before:
            break
    return img[1:-1, 1:-1].astype(bool)


# ---- inputs ---------------------------------------------------------------------------
@dataclass
class GroundTruth:
    """The human annotations of one image (a BSDS ``groundTruth`` cell).

    Attributes:
        segmentations: One ``int (H, W)`` label map per human, labels ``1 .. K``.
        boundaries: One ``bool (H, W)`` boundary map per human.
    """
    segmentations: List[np.ndarray]
    boundaries: List[np.ndarray]


def seg_to_boundaries(seg: np.ndarray) -> np.ndarray:
    """``seg2bdry(seg, 'imageSize')``: pixels on the lower / right side of a label change."""
    seg = np.asarray(seg)
    h, w = seg.shape
    bdry = np.zeros((2 * h + 1, 2 * w + 1), bool)
    ev = np.zeros((h, w), bool)
    ev[:-1] = seg[:-1] != seg[1:]
    eh = np.zeros((h, w), bool)
    eh[:, :-1] = seg[:, :-1] != seg[:, 1:]
    bdry[2::2, 1::2] = ev
    bdry[1::2, 2::2] = eh
    bdry[2:-1:2, 2:-1:2] = (eh[:-1, :-1] | eh[1:, :-1]) | (ev[:-1, :-1] | ev[:-1, 1:])
    bdry[0], bdry[:, 0] = bdry[1], bdry[:, 1]
    bdry[-1], bdry[:, -1] = bdry[-2], bdry[:, -2]
    return bdry[2::2, 2::2]


def ucm2_to_pb(ucm2: np.ndarray) -> np.ndarray:
    """Soft boundary map of a doubled-grid UCM (``ucm2(3:2:end, 3:2:end)``)."""
    return np.asarray(ucm2, np.float64)[2::2, 2::2]


_EIGHT = np.ones((3, 3), bool)


def ucm2_to_segmentation(ucm2: np.ndarray, t: float) -> np.ndarray:
    """Regions at level ``t``: ``bwlabel(ucm2 <= t)`` (8-connected) sampled at pixels."""
    labels, _ = ndimage.label(np.asarray(ucm2) <= t, structure=_EIGHT)
    return labels[1::2, 1::2]


def region_tree_to_ucm2(labels: np.ndarray, dist: np.ndarray) -> np.ndarray:
    """Doubled-grid UCM of a region tree: the boundary between two touching regions
    gets the height at which they merge; junctions the largest of their four arcs.

    Args:
        labels: ``int (H, W)`` region ids (e.g. ``Hierarchy.labels``, at image size).
        dist: ``(R, R)`` merge heights (``Hierarchy.dist``).
    """
    labels = np.asarray(labels, np.int64)
    dist = np.asarray(dist, np.float64)
    h, w = labels.shape
    ucm2 = np.zeros((2 * h + 1, 2 * w + 1))
    horiz = dist[labels[:, :-1], labels[:, 1:]]  # between (y, x) and (y, x + 1)
    vert = dist[labels[:-1], labels[1:]]  # between (y, x) and (y + 1, x)
    ucm2[1::2, 2:-1:2] = horiz
    ucm2[2:-1:2, 1::2] = vert
    ucm2[2:-1:2, 2:-1:2] = np.maximum(np.maximum(horiz[:-1], horiz[1:]),
                                      np.maximum(vert[:, :-1], vert[:, 1:]))
    return ucm2


# ---- per image --------------------------------------------------------------------------
@dataclass
class BoundaryCounts:
    """One image's boundary counts per threshold (an ``*_ev1.txt``)."""
    thresh: np.ndarray
    cnt_r: np.ndarray
    sum_r: np.ndarray
    cnt_p: np.ndarray
    sum_p: np.ndarray


def _level_keys(values: np.ndarray, levels: np.ndarray, above: bool) -> np.ndarray:
    """Thresholds giving the same binary map get the same key (for caching)."""
    u = np.unique(values)
    return (len(u) - np.searchsorted(u, levels, 'left')) if above \
        else np.searchsorted(u, levels, 'right')


def evaluate_boundaries(gt: GroundTruth, pb: Optional[np.ndarray] = None,
                        segs: Optional[Sequence[np.ndarray]] = None, nthresh: int = 99,
                        max_dist: float = MAX_DIST, thin_pb: bool = True,
                        method: str = 'fast') -> BoundaryCounts:
    """``evaluation_bdry_image.m``: counts of matched pixels at each threshold.

    Give either ``pb`` (soft boundaries in [0, 1]; for a UCM use :func:`ucm2_to_pb`),
    thresholded at :func:`thresholds` ``(nthresh)``, or ``segs`` (one segmentation
    per "threshold": thresholds are ``1 .. len(segs)``, ``nthresh`` is ignored).
    """
    if (pb is None) == (segs is None):
        raise ValueError('give exactly one of pb and segs')
    if segs is not None:
        thresh = np.arange(1, len(segs) + 1, dtype=np.float64)
        keys = np.arange(len(segs))
    else:
        pb = np.asarray(pb, np.float64)
        thresh = thresholds(nthresh)
        keys = _level_keys(pb, thresh, above=True)
    n = len(thresh)
    cnt_r, sum_r, cnt_p, sum_p = (np.zeros(n) for _ in range(4))
    radius = max_dist * np.hypot(*gt.boundaries[0].shape)
    humans = [_PixelIndex(np.asarray(b, bool), radius) for b in gt.boundaries]
    human_total = float(sum(h.count for h in humans))
    cache = {}
    for k, t in enumerate(thresh):
        if keys[k] not in cache:
            bmap = seg_to_boundaries(segs[k]) if segs is not None else pb >= t
            if thin_pb:
                bmap = thin_boundaries(bmap)
            ys, xs = np.nonzero(bmap)
            acc = np.zeros(len(ys), bool)
            matched_human = 0
            for human in humans:
                i, j, dist = human.pairs(ys, xs)
                a, b = _match(i, j, dist, radius, method)
                acc[a] = True
                matched_human += len(b)
            cache[keys[k]] = (matched_human, int(acc.sum()), len(ys))
        cnt_r[k], cnt_p[k], sum_p[k] = cache[keys[k]]
        sum_r[k] = human_total
    return BoundaryCounts(thresh, cnt_r, sum_r, cnt_p, sum_p)


@dataclass
class RegionCounts:
    """One image's region counts (``*_ev2.txt``, ``*_ev3.txt``, ``*_ev4.txt``)."""
    thresh: np.ndarray
    cnt_r: np.ndarray  # covering of the humans by the machine: sum(area * best overlap)
    sum_r: np.ndarray
    cnt_p: np.ndarray  # covering of the machine by the humans
    sum_p: np.ndarray
    cnt_r_best: float  # covering with the best threshold per human region
    ri: np.ndarray  # Rand index, mean over humans
    voi: np.ndarray  # variation of information, mean over humans


def _contingency(seg: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """``(max(seg)+1, max(gt)+1)`` joint histogram, label 0 included."""
    a, b = int(seg.max()) + 1, int(gt.max()) + 1
    return np.bincount((seg.astype(np.int64) * b + gt).ravel(), minlength=a * b).reshape(a, b)


def _overlaps(joint: np.ndarray) -> np.ndarray:
    """IoU of every (machine region, human region), labels from 1 (``match_segmentations.m``)."""
    union = joint.sum(1, keepdims=True) + joint.sum(0, keepdims=True) - joint
    with np.errstate(invalid='ignore', divide='ignore'):
        iou = np.where(union > 0, joint / np.maximum(union, 1), 0.0)
    return iou[1:, 1:]


def rand_index_voi(joint: np.ndarray) -> Tuple[float, float]:
    """Rand index and variation of information (bits) of a contingency table
    (``match_segmentations2.m``, after Allen Yang's code)."""
    n = np.asarray(joint, np.float64)
    total = n.sum()
    rows, cols = n.sum(1), n.sum(0)
    ri = 1 - ((rows ** 2).sum() / 2 + (cols ** 2).sum() / 2 - (n ** 2).sum()) \
        / (total * (total - 1) / 2)
    p, pr, pc = n / total, rows / total, cols / total

    def entropy(q):
        q = q[q > 0]
        return -(q * np.log2(q)).sum()

    nz = p > 0
    mi = (p[nz] * np.log2(p[nz] / np.outer(pr, pc)[nz])).sum()
    return float(ri), float(entropy(pr) + entropy(pc) - 2 * mi)


def evaluate_regions(gt: GroundTruth, ucm2: Optional[np.ndarray] = None,
                     segs: Optional[Sequence[np.ndarray]] = None,
                     nthresh: int = 99) -> RegionCounts:
    """``evaluation_reg_image.m``: covering, PRI and VoI at each threshold.

    Give either a doubled-grid ``ucm2`` (regions: :func:`ucm2_to_segmentation` at
    :func:`thresholds` ``(nthresh)``) or ``segs`` (thresholds ``1 .. len(segs)``).
    """
    if (ucm2 is None) == (segs is None):
        raise ValueError('give exactly one of ucm2 and segs')
    if segs is not None:
        thresh = np.arange(1, len(segs) + 1, dtype=np.float64)
        keys = np.arange(len(segs))
    else:
        ucm2 = np.asarray(ucm2, np.float64)
        thresh = thresholds(nthresh)
        keys = _level_keys(ucm2, thresh, above=False)
    humans = [np.asarray(s, np.int64) for s in gt.segmentations]
    # regionprops(.., 'Area') of every human's labels 1..max, humans concatenated.
    areas_gt = np.concatenate([np.bincount(s.ravel(), minlength=s.max() + 1)[1:] for s in humans])
    n = len(thresh)
    cnt_r, sum_r, cnt_p, sum_p, ri, voi = (np.zeros(n) for _ in range(6))
    best_gt = np.zeros(len(areas_gt))
    cache = {}
    for k, t in enumerate(thresh):
        if keys[k] not in cache:
            seg = np.asarray(segs[k], np.int64) if segs is not None \
                else ucm2_to_segmentation(ucm2, t)
            joints = [_contingency(seg, s) for s in humans]
            ious = [_overlaps(j) for j in joints]
            match_seg = np.max([m.max(1, initial=0) for m in ious], axis=0)
            match_gt = np.concatenate([m.max(0, initial=0) for m in ious])
            area_seg = np.bincount(seg.ravel(), minlength=seg.max() + 1)[1:]
            rv = np.mean([rand_index_voi(j[1:, 1:]) for j in joints], axis=0)
            cache[keys[k]] = ((areas_gt * match_gt).sum(), (area_seg * match_seg).sum(),
                              area_seg.sum(), rv, match_gt)
        cr, cp, sp, rv, match_gt = cache[keys[k]]
        cnt_r[k], sum_r[k], cnt_p[k], sum_p[k] = cr, areas_gt.sum(), cp, sp
        ri[k], voi[k] = rv
        best_gt = np.maximum(best_gt, match_gt)
    return RegionCounts(thresh, cnt_r, sum_r, cnt_p, sum_p, float((areas_gt * best_gt).sum()),
                        ri, voi)


# ---- over a dataset (collect_eval_bdry.m, collect_eval_reg.m) ---------------------------
def _fmeasure(r, p):
    r, p = np.asarray(r, np.float64), np.asarray(p, np.float64)
    return 2 * p * r / (p + r + ((p + r) == 0))


def _ratio(cnt, total):
    return cnt / (total + (total == 0))


def _max_f(thresh, r, p) -> Tuple[float, float, float, float]:
    """``maxF`` of collect_eval_bdry.m: the best F on the PR curve linearly
    interpolated between thresholds (100 steps), first maximum kept."""
    d = np.linspace(0, 1, 100)[None, :]
    tt = (thresh[1:, None] * d + thresh[:-1, None] * (1 - d)).ravel()
    rr = (r[1:, None] * d + r[:-1, None] * (1 - d)).ravel()
    pp = (p[1:, None] * d + p[:-1, None] * (1 - d)).ravel()
    tt, rr, pp = (np.concatenate([[v[0]], w]) for v, w in ((thresh, tt), (r, rr), (p, pp)))
    ff = _fmeasure(rr, pp)
    k = int(np.argmax(ff))
    return float(tt[k]), float(rr[k]), float(pp[k]), float(ff[k])


def average_precision(r: np.ndarray, p: np.ndarray) -> float:
    """AP of collect_eval_bdry.m: precision interpolated at recall 0, 0.01 .. 1 on the
    curve through the distinct recalls (0 outside their range), summed times 0.01.
    MATLAB's ``[Ru, indR] = unique(R)`` of that time keeps the last of equal recalls."""
    r, p = np.asarray(r, np.float64), np.asarray(p, np.float64)
    ru, first_in_reversed = np.unique(r[::-1], return_index=True)
    pu = p[::-1][first_in_reversed]
    if len(ru) < 2:
        return 0.0
    ri = np.linspace(0, 1, 101)
    pi = np.interp(ri, ru, pu)
    pi[(ri < ru[0]) | (ri > ru[-1])] = 0
    return float(pi.sum() * 0.01)


@dataclass
class BoundaryResult:
    """``eval_bdry.txt`` (ODS t, R, P, F; OIS R, P, F; AP), ``eval_bdry_img.txt`` rows
    ``(i, t, R, P, F)`` (1-based image index) and ``eval_bdry_thr.txt`` rows ``(t, R, P, F)``."""
    ods_t: float
    ods_r: float
    ods_p: float
    ods_f: float
    ois_r: float
    ois_p: float
    ois_f: float
    ap: float
    per_image: np.ndarray
    per_threshold: np.ndarray


def collect_boundaries(counts: Sequence[BoundaryCounts]) -> BoundaryResult:
    """ODS, OIS and AP over images (``collect_eval_bdry.m``)."""
    if not counts:
        raise ValueError('no images to collect')
    thresh = counts[0].thresh
    tot = np.zeros((4, len(thresh)))
    best = np.zeros(4)
    scores = []
    for k, c in enumerate(counts, 1):
        r, p = _ratio(c.cnt_r, c.sum_r), _ratio(c.cnt_p, c.sum_p)
        scores.append((k,) + _max_f(thresh, r, p))
        f = _fmeasure(r, p)
        m = int(np.argmax(f))  # find(F == max(F)) then its first
        tot += [c.cnt_r, c.sum_r, c.cnt_p, c.sum_p]
        best += [c.cnt_r[m], c.sum_r[m], c.cnt_p[m], c.sum_p[m]]
    r, p = _ratio(tot[0], tot[1]), _ratio(tot[2], tot[3])
    ods = _max_f(thresh, r, p)
    ois_r, ois_p = _ratio(best[0], best[1]), _ratio(best[2], best[3])
    return BoundaryResult(*ods, float(ois_r), float(ois_p), float(_fmeasure(ois_r, ois_p)),
                          average_precision(r, p), np.array(scores),
                          np.stack([thresh, r, p, _fmeasure(r, p)], 1))


@dataclass
class RegionResult:
    """``eval_cover.txt`` (ODS t, covering at ODS, OIS, best), ``eval_cover_img.txt`` rows
    ``(i, t, R, P)``, ``eval_cover_th.txt`` rows ``(t, R)``, ``eval_RI_VOI.txt`` (PRI: ODS t,
    ODS, OIS; VoI: ODS t, ODS, OIS) and ``eval_RI_VOI_thr.txt`` rows ``(t, PRI, VoI)``."""
    cover_t: float
    cover_ods: float
    cover_ois: float
    cover_best: float
    pri_t: float
    pri_ods: float
    pri_ois: float
    voi_t: float
    voi_ods: float
    voi_ois: float
    per_image: np.ndarray
    cover_per_threshold: np.ndarray
    ri_voi_per_threshold: np.ndarray


def collect_regions(counts: Sequence[RegionCounts]) -> RegionResult:
    """Covering, PRI and VoI over images (``collect_eval_reg.m``)."""
    if not counts:
        raise ValueError('no images to collect')
    thresh = counts[0].thresh
    tot = np.zeros((4, len(thresh)))
    best = np.zeros(4)
    cnt_r_best_total = ri_best = voi_best = 0.0
    ri_sum, voi_sum = np.zeros(len(thresh)), np.zeros(len(thresh))
    scores = []
    for k, c in enumerate(counts, 1):
        r, p = _ratio(c.cnt_r, c.sum_r), _ratio(c.cnt_p, c.sum_p)
        m = int(np.argmax(r))
        scores.append((k, thresh[m], r[m], p[m]))
        tot += [c.cnt_r, c.sum_r, c.cnt_p, c.sum_p]
        last = len(r) - 1 - int(np.argmax(r[::-1]))  # ff(end) of find(R == max(R))
        best += [c.cnt_r[last], c.sum_r[last], c.cnt_p[last], c.sum_p[last]]
        cnt_r_best_total += c.cnt_r_best
        ri_sum += c.ri
        voi_sum += c.voi
        ri_best += c.ri.max()
        voi_best += c.voi.min()
    n = len(counts)
    r = _ratio(tot[0], tot[1])
    m = int(np.argmax(r))
    ri_mean, voi_mean = ri_sum / n, voi_sum / n
    i_ri, i_voi = int(np.argmax(ri_mean)), int(np.argmin(voi_mean))
    return RegionResult(
        float(thresh[m]), float(r[m]), float(_ratio(best[0], best[1])),
        float(cnt_r_best_total / tot[1][0]),
        float(thresh[i_ri]), float(ri_mean[i_ri]), float(ri_best / n),
        float(thresh[i_voi]), float(voi_mean[i_voi]), float(voi_best / n),
        np.array(scores), np.stack([thresh, r], 1), np.stack([thresh, ri_mean, voi_mean], 1))


def _g(x) -> str:
    return '%10g' % x


def write_boundary_files(out_dir: str, res: BoundaryResult) -> None:
    """``eval_bdry.txt``, ``eval_bdry_img.txt``, ``eval_bdry_thr.txt`` as the MATLAB code."""
    import os.path as osp
    with open(osp.join(out_dir, 'eval_bdry_img.txt'), 'w') as f:
        f.writelines('%10d %s\n' % (row[0], ' '.join(map(_g, row[1:]))) for row in res.per_image)
    with open(osp.join(out_dir, 'eval_bdry_thr.txt'), 'w') as f:
        f.writelines(' '.join(map(_g, row)) + '\n' for row in res.per_threshold)
    with open(osp.join(out_dir, 'eval_bdry.txt'), 'w') as f:
        f.write(' '.join(map(_g, (res.ods_t, res.ods_r, res.ods_p, res.ods_f, res.ois_r,
                                  res.ois_p, res.ois_f, res.ap))) + '\n')


def write_region_files(out_dir: str, res: RegionResult) -> None:
    """``eval_cover*.txt`` and ``eval_RI_VOI*.txt`` as the MATLAB code."""
    import os.path as osp
    with open(osp.join(out_dir, 'eval_cover_img.txt'), 'w') as f:
        f.writelines('%10d %s\n' % (row[0], ' '.join(map(_g, row[1:]))) for row in res.per_image)
    with open(osp.join(out_dir, 'eval_cover_th.txt'), 'w') as f:
        f.writelines(' '.join(map(_g, row)) + '\n' for row in res.cover_per_threshold)
    with open(osp.join(out_dir, 'eval_cover.txt'), 'w') as f:
        f.write(' '.join(map(_g, (res.cover_t, res.cover_ods, res.cover_ois,
                                  res.cover_best))) + '\n')
    with open(osp.join(out_dir, 'eval_RI_VOI_thr.txt'), 'w') as f:
        f.writelines(' '.join(map(_g, row)) + '\n' for row in res.ri_voi_per_threshold)
    with open(osp.join(out_dir, 'eval_RI_VOI.txt'), 'w') as f:
        f.write(' '.join(map(_g, (res.pri_t, res.pri_ods, res.pri_ois, res.voi_t, res.voi_ods,
                                  res.voi_ois))) + '\n')
