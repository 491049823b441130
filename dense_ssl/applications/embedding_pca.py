"""Dense embeddings as colour pictures (HG paper, Figure 2).

One PCA is fitted over the embedding cells of ALL given images (so a colour
means the same direction of the embedding in every image), its first three
components are scaled jointly to [0, 1] (1st-99th percentiles over all
images, so one outlier cell does not wash the picture out) and shown as
RGB. The projection is affine, so projecting the cells and then upsampling
the 3-channel map bilinearly equals projecting the bilinearly upsampled
per-pixel embedding, at a fraction of the cost.
"""
from typing import List, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor


def fit_pca(embeddings: Sequence[Tensor], n_components: int = 3,
            max_cells: int = 50000,
            seed: int = 0) -> Tuple[Tensor, Tensor, Tensor]:
    """``(mean (D,), components (n, D), explained variance ratio (n,))`` of
    the cells of every (D, h, w) embedding (at most ``max_cells`` of them,
    drawn uniformly, enter the fit)."""
    cells = torch.cat([e.flatten(1).t() for e in embeddings]).double()
    if cells.size(0) > max_cells:
        g = torch.Generator().manual_seed(seed)
        cells = cells[torch.randperm(cells.size(0), generator=g)[:max_cells]]
    n = min(n_components, cells.size(1))
    mean = cells.mean(0)
    centred = cells - mean
    _, s, vh = torch.linalg.svd(centred, full_matrices=False)
    var = s ** 2
    ratio = var[:n] / var.sum().clamp_min(1e-12)
    # a deterministic sign: the largest-magnitude loading of each component
    # is positive (SVD's sign is arbitrary)
    comps = vh[:n]
    signs = torch.sign(comps.gather(1, comps.abs().argmax(1, keepdim=True)))
    return mean.float(), (comps * signs).float(), ratio.float()


def embeddings_to_rgb(embeddings: Sequence[Tensor], strides: Sequence[int],
                      sizes: Sequence[Tuple[int, int]],
                      low_high: Tuple[float, float] = (1.0, 99.0)
                      ) -> Tuple[List[np.ndarray], Tensor]:
    """Per-pixel RGB pictures of the embeddings, one shared PCA.

    Args:
        embeddings: (D, h, w) per image (cells of ``stride`` pixels).
        strides: pixels per cell, per image.
        sizes: (H, W) of each photo: the pictures are upsampled to it.
        low_high: percentiles mapped to 0 and 1, per component, over all
            images together.

    Returns:
        ``(pictures, explained)``: (H, W, 3) uint8 per image, and the share
        of the variance of the three components.
    """
    mean, comps, ratio = fit_pca(embeddings)
    projected = [torch.einsum('dhw,cd->chw', e.float() - mean.view(-1, 1, 1),
                              comps) for e in embeddings]
    flat = torch.cat([p.flatten(1) for p in projected], 1)
    lo = torch.quantile(flat, low_high[0] / 100, dim=1).view(-1, 1, 1)
    hi = torch.quantile(flat, low_high[1] / 100, dim=1).view(-1, 1, 1)
    pictures = []
    for p, stride, (h, w) in zip(projected, strides, sizes):
        c = p.size(0)
        if c < 3:  # fewer than 3 dimensions: pad with grey
            p = torch.cat([p, torch.zeros(3 - c, *p.shape[1:])])
        up = F.interpolate(p[None], scale_factor=stride, mode='bilinear',
                           align_corners=False)[0, :, :h, :w]
        lo3 = torch.cat([lo, torch.zeros(3 - c, 1, 1)]) if c < 3 else lo
        hi3 = torch.cat([hi, torch.ones(3 - c, 1, 1)]) if c < 3 else hi
        rgb = ((up - lo3) / (hi3 - lo3).clamp_min(1e-8)).clamp(0, 1)
        pictures.append((rgb.permute(1, 2, 0).numpy() * 255).round().astype(
            np.uint8))
    return pictures, ratio
