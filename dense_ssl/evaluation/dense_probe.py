"""Frozen-feature dense probes: how good is a dense feature map, cheaply.

Pure functions of tensors (no OpenMMLab): the features are computed once by
the caller (``tools/dense_probe.py``, :class:`DenseProbeHook`, the CPU
study) and passed in as ``(N, D, h, w)`` maps on a grid coarser than the
``(N, H, W)`` label maps (the grid covers the image exactly: cell size
``H / h``).

* :func:`linear_probe`: a 1x1 conv on the frozen features, logits upsampled
  (bilinear) to the label size, cross-entropy; a fixed schedule (below), so
  that two feature maps are compared, not two tunings.
* :func:`nn_retrieval`: no training, as the "Hummingbird" evaluation
  (Balazevic et al., NeurIPS 2023): a bank of train cells with their label
  histograms; every val cell takes the softmax(similarity / T)-weighted
  histograms of its ``k`` most similar train cells (cosine).
* :func:`kmeans_grouping`: K-means of one image's embedding -> a
  segmentation, for the BSDS region benchmarks (no labels needed).

Both probes score with the mIoU of :mod:`dense_ssl.applications.metrics`
(classes absent from both prediction and ground truth are left out).
"""
from typing import Dict, Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from dense_ssl.applications.metrics import confusion_matrix, iou_from_confusion

#: the linear probe's fixed schedule: full-batch Adam, cosine decay, zero
#: initial weights (so the result is deterministic and needs no seed).
LINEAR_STEPS = 300
LINEAR_LR = 0.05
LINEAR_WEIGHT_DECAY = 1e-4
#: the training loss sees labels at most this many times finer than the
#: feature grid (nearest-neighbour downsampling): the full-size loss cost
#: ~900 s for 64 scenes of 224 px on one core, this ~10 s
LINEAR_TRAIN_UPSAMPLE = 4
#: the nearest-neighbour probe's settings (Hummingbird used k = 30 on far
#: larger banks; 10 suits banks of a few thousand cells).
NN_K = 10
NN_TEMPERATURE = 0.1


def miou(preds: Sequence[np.ndarray], gts: Sequence[np.ndarray],
         num_classes: int, ignore_index: Optional[int] = 255) -> float:
    """Dataset mIoU of per-image label maps (one confusion matrix)."""
    conf = np.zeros((num_classes, num_classes), dtype=np.int64)
    for p, g in zip(preds, gts):
        conf += confusion_matrix(p, g, num_classes, ignore_index)
    return iou_from_confusion(conf)['miou']


def _valid(labels: Tensor, num_classes: int,
           ignore_index: Optional[int]) -> Tensor:
    keep = (labels >= 0) & (labels < num_classes)
    if ignore_index is not None:
        keep &= labels != ignore_index
    return keep


def cell_histograms(labels: Tensor, grid: Sequence[int], num_classes: int,
                    ignore_index: Optional[int] = 255) -> Tensor:
    """Label histogram of each grid cell.

    Args:
        labels: (N, H, W) integer label maps.
        grid: (h, w) of the feature map.

    Returns:
        (N, C, h, w): the share of each class among the cell's labelled
        pixels (an all-ignored cell is all zeros).
    """
    keep = _valid(labels, num_classes, ignore_index)
    onehot = F.one_hot(torch.where(keep, labels, 0).long(), num_classes)
    onehot = (onehot * keep[..., None]).permute(0, 3, 1, 2).float()
    hist = F.adaptive_avg_pool2d(onehot, tuple(grid))
    total = hist.sum(1, keepdim=True)
    return torch.where(total > 0, hist / total.clamp_min(1e-12), 0.)


def _scores_to_labels(scores: Tensor, size: Sequence[int]) -> np.ndarray:
    """(N, C, h, w) class scores -> (N, H, W) labels (bilinear upsampling)."""
    up = F.interpolate(scores, size=tuple(size), mode='bilinear',
                       align_corners=False)
    return up.argmax(1).numpy()


def linear_probe(train_feats: Tensor, train_labels: Tensor,
                 val_feats: Tensor, val_labels: Tensor, num_classes: int,
                 ignore_index: Optional[int] = 255,
                 steps: int = LINEAR_STEPS, lr: float = LINEAR_LR,
                 weight_decay: float = LINEAR_WEIGHT_DECAY) -> Dict:
    """Train a 1x1 conv on frozen features; mIoU on the val set.

    The features are standardised per channel with the train statistics
    (so one learning rate suits any feature scale), the conv starts at zero
    and is trained full-batch with Adam and a cosine decay; the loss is the
    cross-entropy of the logits upsampled (bilinear) to the label size,
    capped at :data:`LINEAR_TRAIN_UPSAMPLE` x the grid for speed (the
    val prediction is at the full label size).

    Returns:
        ``dict(miou=val mIoU, train_miou=..., pred=(N, H, W) val labels)``.
    """
    mean = train_feats.mean((0, 2, 3), keepdim=True)
    std = train_feats.std((0, 2, 3), keepdim=True).clamp_min(1e-6)
    xt = ((train_feats - mean) / std).float()
    xv = ((val_feats - mean) / std).float()
    d = xt.shape[1]
    weight = torch.zeros(num_classes, d, requires_grad=True)
    bias = torch.zeros(num_classes, requires_grad=True)
    opt = torch.optim.Adam([weight, bias], lr=lr, weight_decay=weight_decay)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    target = torch.where(_valid(train_labels, num_classes, ignore_index),
                         train_labels, -100).long()
    h, w = train_feats.shape[-2:]
    size = (min(train_labels.shape[-2], LINEAR_TRAIN_UPSAMPLE * h),
            min(train_labels.shape[-1], LINEAR_TRAIN_UPSAMPLE * w))
    if tuple(size) != tuple(train_labels.shape[-2:]):
        target = F.interpolate(target[:, None].float(), size=size,
                               mode='nearest')[:, 0].long()

    def logits(x: Tensor) -> Tensor:
        return torch.einsum('ndhw,cd->nchw', x, weight) + bias.view(1, -1, 1,
                                                                    1)

    with torch.enable_grad():
        for _ in range(steps):
            out = F.interpolate(logits(xt), size=tuple(size),
                                mode='bilinear', align_corners=False)
            loss = F.cross_entropy(out, target, ignore_index=-100)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
    with torch.no_grad():
        pred = _scores_to_labels(logits(xv), val_labels.shape[-2:])
        train_pred = _scores_to_labels(logits(xt), train_labels.shape[-2:])
    return dict(
        miou=miou(pred, val_labels.numpy(), num_classes, ignore_index),
        train_miou=miou(train_pred, train_labels.numpy(), num_classes,
                        ignore_index),
        pred=pred)


def nn_retrieval(train_feats: Tensor, train_labels: Tensor,
                 val_feats: Tensor, val_labels: Tensor, num_classes: int,
                 ignore_index: Optional[int] = 255, k: int = NN_K,
                 temperature: float = NN_TEMPERATURE,
                 chunk: int = 4096) -> Dict:
    """Nearest-neighbour label retrieval (no training); mIoU on val.

    Returns:
        ``dict(miou=val mIoU, pred=(N, H, W) val labels)``.
    """
    n, d, h, w = train_feats.shape
    hist = cell_histograms(train_labels, (h, w), num_classes, ignore_index)
    bank = F.normalize(train_feats.float().permute(0, 2, 3, 1).reshape(-1, d),
                       dim=1)
    bank_hist = hist.permute(0, 2, 3, 1).reshape(-1, num_classes)
    useful = bank_hist.sum(1) > 0  # cells with some labelled pixel
    bank, bank_hist = bank[useful], bank_hist[useful]
    k = min(k, bank.shape[0])
    nv, _, hv, wv = val_feats.shape
    query = F.normalize(
        val_feats.float().permute(0, 2, 3, 1).reshape(-1, d), dim=1)
    scores = []
    for start in range(0, query.shape[0], chunk):
        sim = query[start:start + chunk] @ bank.t()
        top, idx = sim.topk(k, dim=1)
        weights = torch.softmax(top / temperature, dim=1)
        scores.append(torch.einsum('qk,qkc->qc', weights, bank_hist[idx]))
    scores = torch.cat(scores).reshape(nv, hv, wv, num_classes)
    pred = _scores_to_labels(scores.permute(0, 3, 1, 2),
                             val_labels.shape[-2:])
    return dict(miou=miou(pred, val_labels.numpy(), num_classes,
                          ignore_index),
                pred=pred)


def kmeans_grouping(embedding: Tensor, num_segments: int, seed: int = 0,
                    standardize: bool = False) -> np.ndarray:
    """Segment one image by K-means of its (D, h, w) embedding.

    Learned embeddings are compared by cosine, so their cells are
    L2-normalised first (K-means on the sphere); ``standardize=True``
    z-scores each channel instead (for hand-made features such as Lab +
    position, whose channels have unrelated units).

    Returns:
        (h, w) int64 segment ids in ``[0, num_segments)``.
    """
    from sklearn.cluster import KMeans
    d, h, w = embedding.shape
    x = embedding.reshape(d, -1).t().double()
    if standardize:
        x = (x - x.mean(0)) / x.std(0).clamp_min(1e-6)
    else:
        x = F.normalize(x, dim=1)
    k = min(num_segments, x.shape[0])
    km = KMeans(n_clusters=k, n_init=1, random_state=seed, max_iter=100)
    return km.fit_predict(x.numpy()).reshape(h, w).astype(np.int64)


def lab_position_features(image: np.ndarray, stride: int,
                          position_weight: float = 1.0) -> Tensor:
    """The trivial baseline "embedding": CIELab colour + (x, y) position.

    Args:
        image: (H, W, 3) uint8 RGB.
        stride: cell size; each cell holds the mean over its pixels.
        position_weight: scale of the position channels (in units of the
            image's larger side, times 100 like L).

    Returns:
        (5, ceil(H / stride), ceil(W / stride)) float32: L, a, b, x, y.
    """
    from skimage.color import rgb2lab
    h, w = image.shape[:2]
    lab = torch.from_numpy(rgb2lab(image).astype(np.float32)).permute(2, 0, 1)
    ys, xs = torch.meshgrid(torch.arange(h, dtype=torch.float32),
                            torch.arange(w, dtype=torch.float32),
                            indexing='ij')
    pos = torch.stack([xs, ys]) * (100.0 * position_weight / max(h, w))
    feat = torch.cat([lab, pos])[None]
    out = (-(-h // stride), -(-w // stride))
    return F.adaptive_avg_pool2d(feat, out)[0]
