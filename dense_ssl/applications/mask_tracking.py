"""Instance mask tracking by embedding similarity (HG sec. 5.3, Table 3).

The paper predicts the instance label of pixel i at frame t as
``y_t(i) = sum_k sum_j sim(F_t(i), F_{t-k}(j)) y_{t-k}(j)`` over the k = 2
previous frames, j ranging over the 10 nearest neighbours of i, with the
features "augmented with spatial coordinates". Our reading, made explicit:

* score of a reference pixel j for a query pixel i:
  ``cos(F_t(i), F_r(j)) - spatial_weight * |p_i - p_j|^2``, with p the pixel
  centre in units of the map's longer side. This is the negative squared
  distance between the normalised features concatenated with
  ``sqrt(spatial_weight) * p`` (up to a constant and a factor 2), i.e. the
  coordinate augmentation; ``radius`` optionally also bounds |p_i - p_j|
  (in map pixels) as a local window, as in CycleTime / UVC.
* the 10 best-scoring pixels are taken in each reference frame (the "sum
  over k" of per-frame neighbour sets), and their labels averaged with
  weights ``softmax(score / temperature)`` over all the selected pixels;
  "sim" is not defined in the paper, the softmax is the usual choice of the
  methods of its Table 3 (Video Colorization, CycleTime).
* references: the first frame (its ground truth is the only sure label; the
  DAVIS protocol of the compared methods keeps it) plus the ``num_prev``
  previous frames, whose predictions are fed back one-hot (``hard=True``,
  the paper's ``y`` is one-hot). The first frame's mask is area-pooled to
  the embedding resolution, i.e. kept as soft fractions at its boundary.
* predictions are made at the embedding resolution (stride 4 for HG) and
  upsampled bilinearly before the per-pixel argmax.
"""
from collections import deque
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor


def masks_to_onehot(mask: Tensor, num_labels: int) -> Tensor:
    """(H, W) integer instance ids (0 = background) -> (C, H, W) float."""
    if mask.min() < 0 or mask.max() >= num_labels:
        raise ValueError(f'mask ids must lie in [0, {num_labels})')
    return F.one_hot(mask.long(), num_labels).permute(2, 0, 1).float()


def pool_labels(onehot: Tensor, size: Tuple[int, int]) -> Tensor:
    """Area-average (C, H, W) label maps to ``size``: soft label fractions."""
    return F.adaptive_avg_pool2d(onehot[None].float(), size)[0]


def upsample_probs(probs: Tensor, size: Tuple[int, int]) -> Tensor:
    """Bilinear (C, h, w) -> (C, H, W) (align_corners=False)."""
    return F.interpolate(probs[None], size=size, mode='bilinear',
                         align_corners=False)[0]


def pixel_positions(h: int, w: int, device=None) -> Tensor:
    """(h * w, 2) pixel centres (y, x) in units of ``max(h, w)``."""
    ys = (torch.arange(h, device=device, dtype=torch.float32) + 0.5)
    xs = (torch.arange(w, device=device, dtype=torch.float32) + 0.5)
    grid = torch.stack(torch.meshgrid(ys, xs, indexing='ij'), -1)
    return grid.reshape(-1, 2) / max(h, w)


@torch.no_grad()
def propagate(query: Tensor, refs: Sequence[Tensor],
              ref_labels: Sequence[Tensor], topk: int = 10,
              temperature: float = 0.05, spatial_weight: float = 1.0,
              radius: Optional[float] = None,
              chunk: int = 2048) -> Tensor:
    """Soft labels of a frame from labelled reference frames.

    Args:
        query: (D, h, w) embedding of the new frame.
        refs: (D, h, w) embeddings of the reference frames.
        ref_labels: (C, h, w) label distributions of the references.
        topk: neighbours taken in each reference frame (paper: 10).
        temperature: softmax temperature on the scores.
        spatial_weight: weight of the squared distance between pixel
            centres (units of the map's longer side); 0 = appearance only.
        radius: if set, only reference pixels within this many map pixels
            of the query pixel are candidates.
        chunk: query pixels per block (bounds memory to chunk x h*w).

    Returns:
        (C, h, w) label distribution of each query pixel (rows sum to 1).
    """
    if len(refs) != len(ref_labels) or not refs:
        raise ValueError('need one label map per reference frame (>= 1)')
    d, h, w = query.shape
    for r, y in zip(refs, ref_labels):
        if r.shape != query.shape or y.shape[1:] != (h, w):
            raise ValueError(f'reference {tuple(r.shape)} / labels '
                             f'{tuple(y.shape)} do not match the query '
                             f'{tuple(query.shape)}')
    pos = pixel_positions(h, w, query.device)
    sq = pos.square().sum(1, keepdim=True)
    ones = torch.ones_like(sq)
    # cos - lam |p_i - p_j|^2 = <q_i, k_j> + 2 lam <p_i, p_j> - lam |p_i|^2
    # - lam |p_j|^2: one matmul of augmented vectors, no (P, P) distances
    lam = spatial_weight
    q = torch.cat([F.normalize(query.reshape(d, -1).t().float(), dim=1),
                   2 * lam * pos, -lam * sq, ones], 1)  # (P, D + 4)
    keys = [torch.cat([F.normalize(r.reshape(d, -1).t().float(), dim=1),
                       pos, ones, -lam * sq], 1).t() for r in refs]
    vals = [y.reshape(y.shape[0], -1).t().float() for y in ref_labels]
    flat = torch.arange(h * w, device=query.device, dtype=torch.float32)
    ys, xs = torch.div(flat, w, rounding_mode='floor'), flat % w
    k = min(topk, h * w)
    out = []
    for start in range(0, q.shape[0], chunk):
        qi = q[start:start + chunk]
        far = None
        if radius is not None:  # integer map coordinates: exact
            yi, xi = ys[start:start + chunk, None], xs[start:start + chunk,
                                                        None]
            far = (yi - ys).square() + (xi - xs).square() > radius ** 2
        scores, labels = [], []
        for key, val in zip(keys, vals):
            sim = qi @ key
            if far is not None:
                sim.masked_fill_(far, float('-inf'))
            s, idx = sim.topk(k, dim=1)
            scores.append(s)
            labels.append(val[idx])  # (B, k, C)
        wgt = torch.softmax(torch.cat(scores, 1) / temperature, dim=1)
        out.append(torch.einsum('bk,bkc->bc', wgt, torch.cat(labels, 1)))
    return torch.cat(out).t().reshape(-1, h, w)


class MaskPropagator:
    """Propagate a first-frame instance mask through a video, frame by frame.

    Keeps the first frame and the ``num_prev`` latest frames as references
    (their embeddings and labels at the embedding resolution).

    Args:
        first_embedding: (D, h, w) embedding of frame 0.
        first_mask: (H, W) instance ids of frame 0 (0 = background).
        num_labels: number of ids (background included); None: max id + 1.
        num_prev: previous frames used as references (paper: 2).
        use_first: keep frame 0 as a reference throughout.
        hard: feed predictions back one-hot (paper) instead of soft.
        **kwargs: :func:`propagate` options (topk, temperature,
            spatial_weight, radius, chunk).
    """

    def __init__(self, first_embedding: Tensor, first_mask: Tensor,
                 num_labels: Optional[int] = None, num_prev: int = 2,
                 use_first: bool = True, hard: bool = True,
                 **kwargs) -> None:
        if num_prev < 1 and not use_first:
            raise ValueError('no reference frame: num_prev < 1 and '
                             'use_first=False')
        self.num_labels = int(first_mask.max()) + 1 \
            if num_labels is None else num_labels
        self.size = tuple(first_mask.shape)
        labels = pool_labels(masks_to_onehot(first_mask, self.num_labels),
                             tuple(first_embedding.shape[1:]))
        self.first = (first_embedding, labels) if use_first else None
        self.recent = deque([(first_embedding, labels)],
                            maxlen=max(num_prev, 1))
        self.num_prev = num_prev
        self.hard = hard
        self.kwargs = kwargs

    def references(self) -> List[Tuple[Tensor, Tensor]]:
        refs = list(self.recent) if self.num_prev > 0 else []
        if self.first is not None and not any(r is self.first[0]
                                              for r, _ in refs):
            refs.insert(0, self.first)
        return refs

    def step(self, embedding: Tensor) -> Tuple[Tensor, Tensor]:
        """Predict the next frame.

        Returns:
            ``(mask (H, W) long, probs (C, H, W))`` at the first mask's size.
        """
        refs = self.references()
        probs = propagate(embedding, [r for r, _ in refs],
                          [y for _, y in refs], **self.kwargs)
        fed = probs
        if self.hard:
            fed = F.one_hot(probs.argmax(0), self.num_labels).permute(
                2, 0, 1).float()
        self.recent.append((embedding, fed))
        full = upsample_probs(probs, self.size)
        return full.argmax(0), full
