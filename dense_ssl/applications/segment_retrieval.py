"""Semantic segment retrieval on a dense embedding (HG sec. 5.2, Table 2).

Our reading of the paper's protocol (the text is three sentences; SegSort,
whose code HG's authors share, fills the gaps):

1. Every image of the database (PASCAL ``train_aug``) and of the queries
   (``val``) is partitioned into K = 15 segments by K-means on its embedding
   (:func:`kmeans_segments`; spherical K-means on the L2-normalised vectors,
   since the embedding is trained with cosine similarities). Any other
   partition (ground-truth regions, a UCM cut) can be passed instead.
2. A segment's descriptor is the mean of its pixels' embeddings, L2
   normalised (:func:`segment_prototypes`, SegSort's prototype).
3. A database segment carries the majority ground-truth label of its pixels
   (:func:`segment_labels`; pixels labelled ``ignore_index`` do not vote;
   segments with no labelled pixel are left out of the database).
4. Each query segment retrieves its nearest database segments by cosine
   similarity (:func:`retrieve`) and takes the label of the nearest one
   (k = 1, the paper's "nearest neighbors") or the majority of the k nearest
   (:func:`vote`, ties broken by the summed similarity).
5. Painting every pixel of a query segment with that label gives a semantic
   prediction of the query image (:func:`paint`); Table 2 is the mIoU of
   these predictions against the ground truth over the query set (one
   confusion matrix accumulated over all query images, 21 VOC classes,
   background included, 255 ignored).
"""
from dataclasses import dataclass
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor


def _check_map(embedding: Tensor, segments: Tensor) -> None:
    if embedding.dim() != 3 or segments.dim() != 2 or \
            embedding.shape[1:] != segments.shape:
        raise ValueError(f'expected a (D, H, W) embedding and an (H, W) '
                         f'segment map, got {tuple(embedding.shape)} and '
                         f'{tuple(segments.shape)}')


@torch.no_grad()
def kmeans_segments(embedding: Tensor, num_segments: int = 15,
                    iters: int = 20,
                    generator: Optional[torch.Generator] = None) -> Tensor:
    """Partition a (D, H, W) embedding by spherical K-means.

    Initialised by k-means++ (seeded by ``generator``) on the normalised
    pixel vectors; an emptied cluster is re-seeded at the pixel worst served
    by its centre, so the result has ``min(num_segments, H * W)`` clusters
    unless pixels coincide.

    Returns:
        (H, W) long cluster index per pixel, in ``[0, num_segments)``.
    """
    d, h, w = embedding.shape
    x = F.normalize(embedding.reshape(d, -1).t().float(), dim=1)  # (P, D)
    k = min(num_segments, x.shape[0])
    first = torch.randint(x.shape[0], (1, ), generator=generator)
    centres = x[first]
    for _ in range(1, k):  # k-means++: next centre ~ squared distance
        dist = (2 - 2 * (x @ centres.t())).clamp_min(0).min(1).values
        if dist.sum() <= 0:
            break
        nxt = torch.multinomial(dist, 1, generator=generator)
        centres = torch.cat([centres, x[nxt]])
    for _ in range(iters):
        sim = x @ centres.t()
        assign = sim.argmax(1)
        new = torch.zeros_like(centres).index_add_(0, assign, x)
        counts = torch.bincount(assign, minlength=len(centres))
        for c in torch.nonzero(counts == 0).flatten():
            # re-seed an empty cluster at the worst-fitting pixel
            worst = sim.max(1).values.argmin()
            new[c] = x[worst]
            sim[worst] = 2.0
        new = F.normalize(new, dim=1)
        if torch.allclose(new, centres):
            break
        centres = new
    return (x @ centres.t()).argmax(1).reshape(h, w)


def segment_prototypes(embedding: Tensor,
                       segments: Tensor) -> Tuple[Tensor, Tensor]:
    """L2-normalised mean embedding of every segment (SegSort prototypes).

    Args:
        embedding: (D, H, W) per-pixel features (any scale).
        segments: (H, W) integer segment ids; negative ids are skipped.

    Returns:
        ``(prototypes (S, D), ids (S,))`` for the S distinct ids >= 0, in
        increasing id order.
    """
    _check_map(embedding, segments)
    seg = segments.reshape(-1).long()
    keep = seg >= 0
    ids, inverse = torch.unique(seg[keep], return_inverse=True)
    feats = embedding.reshape(embedding.shape[0], -1).t()[keep].float()
    sums = torch.zeros(len(ids), feats.shape[1]).index_add_(0, inverse,
                                                             feats)
    return F.normalize(sums, dim=1), ids


def segment_labels(segments: Tensor, gt: Tensor, ids: Tensor,
                   num_classes: int, ignore_index: int = 255) -> Tensor:
    """Majority ground-truth label of each segment of ``ids``.

    Ties go to the smaller class index. A segment none of whose pixels has a
    label in ``[0, num_classes)`` other than ``ignore_index`` gets -1.
    """
    seg, lab = segments.reshape(-1).long(), gt.reshape(-1).long()
    valid = (lab >= 0) & (lab < num_classes) & (lab != ignore_index)
    seg, lab = seg[valid], lab[valid]
    pos = torch.searchsorted(ids, seg).clamp_max(len(ids) - 1)
    inside = ids[pos] == seg
    counts = torch.zeros(len(ids) * num_classes, dtype=torch.long)
    counts.index_add_(0, pos[inside] * num_classes + lab[inside],
                      torch.ones_like(lab[inside]))
    counts = counts.view(len(ids), num_classes)
    labels = counts.argmax(1)
    labels[counts.sum(1) == 0] = -1
    return labels


@dataclass
class SegmentBank:
    """Database of labelled segments (from many images)."""
    prototypes: Tensor  # (N, D), L2-normalised
    labels: Tensor  # (N,) class index >= 0

    @classmethod
    def concat(cls, parts) -> 'SegmentBank':
        parts = list(parts)
        if not parts:
            raise ValueError('no database segments')
        return cls(torch.cat([p.prototypes for p in parts]),
                   torch.cat([p.labels for p in parts]))


def bank_from_image(embedding: Tensor, segments: Tensor, gt: Tensor,
                    num_classes: int, ignore_index: int = 255) -> SegmentBank:
    """Labelled prototypes of one database image (unlabelled ones dropped)."""
    protos, ids = segment_prototypes(embedding, segments)
    labels = segment_labels(segments, gt, ids, num_classes, ignore_index)
    keep = labels >= 0
    return SegmentBank(protos[keep], labels[keep])


def retrieve(queries: Tensor, database: Tensor,
             k: int = 1) -> Tuple[Tensor, Tensor]:
    """The k most cosine-similar database rows of each query row.

    Returns:
        ``(similarities (Q, k), indices (Q, k))``, most similar first.
    """
    sim = F.normalize(queries.float(), dim=1) @ F.normalize(
        database.float(), dim=1).t()
    return sim.topk(min(k, database.shape[0]), dim=1)


def vote(sims: Tensor, indices: Tensor, labels: Tensor,
         num_classes: int) -> Tensor:
    """Majority label among each query's neighbours.

    Ties between labels with equally many votes go to the one whose
    neighbours have the larger summed similarity; with one neighbour this is
    the top-1 label.
    """
    nb = labels[indices]  # (Q, k)
    votes = F.one_hot(nb, num_classes).sum(1).float()  # (Q, C)
    weight = torch.zeros_like(votes).scatter_add_(1, nb, sims.float())
    # votes are integers and |summed similarity| <= k < k + 1
    score = votes * (indices.shape[1] + 1) + weight
    return score.argmax(1)


def paint(segments: Tensor, ids: Tensor, labels: Tensor,
          fill: int = 255) -> Tensor:
    """(H, W) map with each pixel of segment ``ids[i]`` set to
    ``labels[i]``; pixels of other (e.g. negative) ids get ``fill``."""
    out = torch.full(segments.shape, fill, dtype=torch.long)
    seg = segments.long()
    pos = torch.searchsorted(ids, seg.clamp_min(0)).clamp_max(len(ids) - 1)
    hit = ids[pos] == seg
    out[hit] = labels[pos[hit]].long()
    return out


def predict_image(embedding: Tensor, segments: Tensor, bank: SegmentBank,
                  num_classes: int, k: int = 1) -> Tensor:
    """Semantic prediction of a query image by segment retrieval.

    Args:
        embedding: (D, H, W) query embedding.
        segments: (H, W) its segment ids.
        bank: labelled database segments (other images).
        num_classes: number of classes of ``bank.labels``.
        k: neighbours voting (1 = nearest segment's label).

    Returns:
        (H, W) long label map (255 on pixels with a negative segment id).
    """
    protos, ids = segment_prototypes(embedding, segments)
    sims, idx = retrieve(protos, bank.prototypes, k)
    return paint(segments, ids, vote(sims, idx, bank.labels, num_classes))
