"""Anchor, positive and negative pixels drawn from a region hierarchy (HG).

Zhang & Maire (NeurIPS 2020), sec. 3, eq. 2 and 3. For an anchor pixel i in
leaf region R_a and a candidate pixel j in region R_b, with d = d_T the tree
(ultrametric) distance between leaf regions::

    P(j in Pos(i)) = exp(-d(a, b) / s) / (sum_{m != a} exp(-d(a, m) / s) + 1)
    P(j in Neg(i)) = exp(+d(a, b) / s) /  sum_{m != a} exp(+d(a, m) / s)

(s = sigma_p = 0.8). The self term of eq. 2 is cast to 1 (the paper's trick)
and the anchor's own region is never a negative; Neg is not the complement
of Pos, so pixels of vague regions are seldom drawn at all.

Reading adopted here (the paper does not say more): these are probabilities
of *regions*, and m runs over the leaf regions present in the anchor's view
(only those have pixels to draw). A reference is drawn by picking a region
with that probability, then a pixel uniformly inside it. Eq. 2 as written
then sums to 1 over regions, which supports the region-level reading.

Everything is vectorised over the batch (no per-pixel Python loops) and runs
on the device of its inputs; per-image region counts differ, so distance
matrices are padded to the batch maximum with a validity mask.
"""
from dataclasses import dataclass
from typing import Optional, Sequence, Tuple

import torch
from torch import Tensor

from .view_geometry import map_between_views


def pad_distances(mats: Sequence[Tensor]) -> Tuple[Tensor, Tensor]:
    """Stack (R_b, R_b) distance matrices into (N, R, R) plus (N, R) mask."""
    r_max = max(int(m.shape[0]) for m in mats)
    dist = mats[0].new_zeros((len(mats), r_max, r_max), dtype=torch.float32)
    valid = torch.zeros((len(mats), r_max), dtype=torch.bool,
                        device=mats[0].device)
    for b, m in enumerate(mats):  # one copy per image, not per pixel
        r = int(m.shape[0])
        dist[b, :r, :r] = m
        valid[b, :r] = True
    return dist, valid


def downsample_labels(labels: Tensor, size: Tuple[int, int]) -> Tensor:
    """Nearest-neighbour label maps (N, V, H, W) -> (N, V, h, w).

    Cell (v, u) takes the label at the input pixel nearest to its centre,
    ``floor((u + 0.5) * W / w)`` (PyTorch's ``nearest-exact``), so the cell
    and the geometry of :mod:`.view_geometry` agree.
    """
    h, w = size
    big_h, big_w = labels.shape[-2:]
    rows = ((torch.arange(h, device=labels.device) + 0.5) * big_h /
            h).floor().long().clamp(max=big_h - 1)
    cols = ((torch.arange(w, device=labels.device) + 0.5) * big_w /
            w).floor().long().clamp(max=big_w - 1)
    return labels[..., rows[:, None], cols[None, :]]


def region_counts(labels_flat: Tensor, num_regions: int) -> Tensor:
    """(N, R) number of pixels of each region in (N, P) label maps."""
    counts = labels_flat.new_zeros((labels_flat.shape[0], num_regions))
    return counts.scatter_add_(1, labels_flat, torch.ones_like(labels_flat))


def _rows_of(dist: Tensor, regions: Tensor) -> Tensor:
    """(N, A, R) rows ``dist[b, regions[b, a], :]``."""
    n, a = regions.shape
    return dist.gather(1, regions[..., None].expand(n, a, dist.shape[-1]))


def positive_probs(dist: Tensor, present: Tensor, anchor_region: Tensor,
                   sigma_p: float) -> Tensor:
    """Eq. 2: (N, A, R) probability that each region is drawn as positive.

    Args:
        dist: (N, R, R) tree distances.
        present: (N, R) regions that can be drawn (have pixels).
        anchor_region: (N, A) region of each anchor (must be present).
        sigma_p: concentration on region distance.
    """
    logits = -_rows_of(dist, anchor_region) / sigma_p
    own = torch.nn.functional.one_hot(anchor_region,
                                      dist.shape[-1]).bool()
    logits = torch.where(own, torch.zeros_like(logits), logits)  # exp(.)->1
    logits = logits.masked_fill(~present[:, None, :], float('-inf'))
    return logits.softmax(dim=-1)


def negative_probs(dist: Tensor, present: Tensor, anchor_region: Tensor,
                   sigma_p: float) -> Tuple[Tensor, Tensor]:
    """Eq. 3: (N, A, R) negative probabilities and (N, A) "has any".

    The anchor's own region has probability 0; an anchor whose view holds
    no other region gets an all-zero row and ``False``.
    """
    logits = _rows_of(dist, anchor_region) / sigma_p
    own = torch.nn.functional.one_hot(anchor_region,
                                      dist.shape[-1]).bool()
    allowed = present[:, None, :] & ~own
    has_any = allowed.any(dim=-1)
    logits = logits.masked_fill(~allowed, float('-inf'))
    # Rows without any candidate would be NaN; give them a harmless logit.
    logits = torch.where(has_any[..., None], logits, torch.zeros_like(logits))
    probs = logits.softmax(dim=-1) * has_any[..., None]
    return probs, has_any


def draw_regions(probs: Tensor, num: int,
                 generator: Optional[torch.Generator] = None) -> Tensor:
    """(N, A, num) regions drawn with replacement from (N, A, R) probs.

    All-zero rows draw region 0 (callers mask those anchors out).
    """
    n, a, r = probs.shape
    flat = probs.reshape(n * a, r)
    empty = flat.sum(dim=1, keepdim=True) <= 0
    flat = torch.where(empty, torch.ones_like(flat), flat)
    drawn = torch.multinomial(flat, num, replacement=True,
                              generator=generator)
    return drawn.view(n, a, num)


def choose_anchor_regions(present: Tensor, num: int,
                          generator: Optional[torch.Generator] = None
                          ) -> Tensor:
    """(N, num) distinct present regions in random order.

    If an image has fewer than ``num`` regions they are repeated in the
    same random order, so every image yields ``num`` anchor regions.
    """
    keys = torch.rand(present.shape, generator=generator,
                      device=present.device)
    keys = keys.masked_fill(~present, 2.0)  # absent regions sort last
    order = keys.argsort(dim=1)
    n_present = present.sum(dim=1, keepdim=True).clamp(min=1)
    slots = torch.arange(num, device=present.device)[None, :] % n_present
    return order.gather(1, slots)


def sample_in_regions(labels_flat: Tensor, counts: Tensor, regions: Tensor,
                      generator: Optional[torch.Generator] = None) -> Tensor:
    """A uniform random pixel of each requested region.

    Pixels are sorted by label once per image, so region r occupies the
    slice ``[start_r, start_r + count_r)`` of that order and a uniform
    position inside it is a uniform pixel of r.

    Args:
        labels_flat: (N, P) region of every pixel.
        counts: (N, R) :func:`region_counts` of ``labels_flat``.
        regions: (N, ...) requested regions (each should have pixels).

    Returns:
        (N, ...) flat pixel index, shaped like ``regions``.
    """
    n, p = labels_flat.shape
    order = labels_flat.argsort(dim=1, stable=True)
    starts = counts.cumsum(dim=1) - counts
    flat = regions.reshape(n, -1)
    start = starts.gather(1, flat)
    count = counts.gather(1, flat)
    u = torch.rand(flat.shape, generator=generator, device=flat.device)
    offset = (u * count).floor().long().clamp(max=(count - 1).clamp(min=0))
    pix = order.gather(1, (start + offset).clamp(0, p - 1))
    return pix.view_as(regions)


@dataclass
class HierSamples:
    """Pixels drawn for one direction (anchors in view ``src``).

    Pixel indices are flat cells of the (h, w) embedding grid. A = anchors
    per image, Kp / Kn / Kc = positives / negatives / cross-image negatives
    per anchor. Shapes: (N, A) for anchors, (N, A, K) for references.
    """
    src: int
    dst: int
    anchor_region: Tensor
    anchor: Tensor
    pos_region: Tensor
    pos: Tensor
    neg_region: Tensor
    neg: Tensor
    neg_valid: Tensor
    pos_aug: Tensor
    pos_aug_valid: Tensor
    neg_aug: Tensor
    neg_aug_valid: Tensor
    cns_img: Tensor
    cns_view: Tensor
    cns_pix: Tensor
    cns_valid: Tensor


class HierarchySampler:
    """Draws HG anchors and references for a batch (paper defaults).

    Args:
        num_regions: anchor regions per image (7).
        anchors_per_region: anchor pixels per anchor region (1); each
            anchor gets its own positives and negatives.
        num_pos: positives per anchor in the anchor's view (10).
        num_neg: negatives per anchor in the anchor's view (5).
        num_cns: cross-image negatives per anchor, ``cns`` (5).
        sigma_p: concentration of eq. 2 and 3 (0.8).
    """

    def __init__(self, num_regions: int = 7, anchors_per_region: int = 1,
                 num_pos: int = 10, num_neg: int = 5, num_cns: int = 5,
                 sigma_p: float = 0.8) -> None:
        if min(num_regions, anchors_per_region, num_pos) < 1:
            raise ValueError('num_regions, anchors_per_region and num_pos '
                             'must be >= 1')
        if min(num_neg, num_cns) < 0 or num_neg + num_cns < 1:
            raise ValueError('need num_neg + num_cns >= 1 negatives')
        if sigma_p <= 0:
            raise ValueError(f'sigma_p must be > 0, got {sigma_p}')
        self.num_regions = num_regions
        self.anchors_per_region = anchors_per_region
        self.num_pos = num_pos
        self.num_neg = num_neg
        self.num_cns = num_cns
        self.sigma_p = sigma_p

    @torch.no_grad()
    def __call__(self, labels: Tensor, dist: Tensor, dist_valid: Tensor,
                 boxes: Tensor, flips: Tensor, src: int = 0, dst: int = 1,
                 cns_views: Sequence[int] = (0, 1),
                 generator: Optional[torch.Generator] = None) -> HierSamples:
        """Draw anchors in view ``src``, augmented references in ``dst``.

        Args:
            labels: (N, V, h, w) region of every embedding cell of each view.
            dist: (N, R, R) padded distances; dist_valid: (N, R).
            boxes: (N, V, 4) crop boxes; flips: (N, V) flips.
            src, dst: anchor view and augmented-reference view.
            cns_views: views whose embeddings cross-image negatives may
                come from (e.g. only the query view when the other view's
                embeddings come from a momentum encoder).
            generator: random generator on the labels' device.
        """
        n, _, h, w = labels.shape
        device = labels.device
        flat = labels[:, src].reshape(n, h * w)
        counts = region_counts(flat, dist.shape[-1])
        present = (counts > 0) & dist_valid

        regions = choose_anchor_regions(present, self.num_regions, generator)
        anchor_region = regions.repeat_interleave(self.anchors_per_region,
                                                  dim=1)
        anchor = sample_in_regions(flat, counts, anchor_region, generator)

        p_pos = positive_probs(dist, present, anchor_region, self.sigma_p)
        pos_region = draw_regions(p_pos, self.num_pos, generator)
        pos = sample_in_regions(flat, counts, pos_region, generator)

        p_neg, has_neg = negative_probs(dist, present, anchor_region,
                                        self.sigma_p)
        neg_region = draw_regions(p_neg, self.num_neg, generator)
        neg = sample_in_regions(flat, counts, neg_region, generator)
        neg_valid = has_neg[..., None].expand_as(neg)

        size = (h, w)
        pos_aug, pos_aug_valid = map_between_views(pos, boxes, flips, size,
                                                   src, dst)
        neg_aug, neg_aug_valid = map_between_views(neg, boxes, flips, size,
                                                   src, dst)
        neg_aug_valid = neg_aug_valid & neg_valid

        # Cross-image negatives: another image (b + k mod N, k in 1..N-1),
        # a view among cns_views, a uniform cell.
        shape = (n, anchor.shape[1], self.num_cns)
        shift = torch.randint(1, max(n, 2), shape, generator=generator,
                              device=device)
        cns_img = (torch.arange(n, device=device).view(n, 1, 1) + shift) % n
        views = torch.as_tensor(list(cns_views), device=device)
        pick = torch.randint(0, len(views), shape, generator=generator,
                             device=device)
        cns_pix = torch.randint(0, h * w, shape, generator=generator,
                                device=device)
        cns_valid = torch.full(shape, n > 1, dtype=torch.bool, device=device)
        return HierSamples(
            src=src, dst=dst, anchor_region=anchor_region, anchor=anchor,
            pos_region=pos_region, pos=pos, neg_region=neg_region, neg=neg,
            neg_valid=neg_valid, pos_aug=pos_aug,
            pos_aug_valid=pos_aug_valid, neg_aug=neg_aug,
            neg_aug_valid=neg_aug_valid, cns_img=cns_img,
            cns_view=views[pick], cns_pix=cns_pix, cns_valid=cns_valid)


def reference_indices(s: HierSamples, num_views: int, num_pix: int
                      ) -> Tuple[Tensor, Tensor, Tensor, Tensor, Tensor]:
    """Flat rows of a (N * V * P, D) embedding table for the loss.

    Row of image b, view v, cell p: ``(b * V + v) * P + p``.

    Returns:
        anchor (M,), pos (M, 2 Kp) = Pos u Pos_aug, pos_mask, neg
        (M, 2 Kn + Kc) = Neg u Neg_aug u Neg_cns, neg_mask; M = N * A.
    """
    n, a = s.anchor.shape
    img = torch.arange(n, device=s.anchor.device).view(n, 1, 1)

    def rows(b, v, p):
        return (b * num_views + v) * num_pix + p

    anchor = rows(img[..., 0], s.src, s.anchor).reshape(-1)
    pos = torch.cat([rows(img, s.src, s.pos), rows(img, s.dst, s.pos_aug)], 2)
    pos_mask = torch.cat([torch.ones_like(s.pos_aug_valid), s.pos_aug_valid],
                         2)
    neg = torch.cat([
        rows(img, s.src, s.neg),
        rows(img, s.dst, s.neg_aug),
        rows(s.cns_img, s.cns_view, s.cns_pix)
    ], 2)
    neg_mask = torch.cat([s.neg_valid, s.neg_aug_valid, s.cns_valid], 2)
    return (anchor, pos.reshape(n * a, -1), pos_mask.reshape(n * a, -1),
            neg.reshape(n * a, -1), neg_mask.reshape(n * a, -1))
