"""Fabricated HG batches that follow the data contract of the HG pipeline.

Each image gets a synthetic leaf-region map (a grid of blocks) and a
two-level tree over the blocks; each view is a crop box (+ optional flip) of
a real photo, resampled with the contract's own pixel mapping, so images,
labels, boxes and flips agree exactly.
"""
import numpy as np
import torch
from mmselfsup.structures import SelfSupDataSample

MEAN = torch.tensor([123.675, 116.28, 103.53]).view(3, 1, 1)
STD = torch.tensor([58.395, 57.12, 57.375]).view(3, 1, 1)


def block_regions(height: int, width: int, rows: int, cols: int):
    """Label map of rows x cols blocks and its tree distance matrix.

    Blocks in the same pair of columns merge at height 0.3, all at 1.0.
    """
    ys = torch.arange(height) * rows // height
    xs = torch.arange(width) * cols // width
    labels = ys[:, None] * cols + xs[None, :]
    r = rows * cols
    group = torch.arange(r) % cols // 2
    dist = torch.where(group[:, None] == group[None, :], 0.3, 1.0)
    dist.fill_diagonal_(0.0)
    return labels, dist


def resample(src: torch.Tensor, box, flip: bool, size: int) -> torch.Tensor:
    """View pixels of ``src`` (..., H, W) by the contract's mapping."""
    x0, y0, x1, y1 = box
    u = torch.arange(size, dtype=torch.float64)
    uu = size - 1 - u if flip else u
    xs = (x0 + (uu + 0.5) * (x1 - x0) / size).floor().long()
    ys = (y0 + (u + 0.5) * (y1 - y0) / size).floor().long()
    return src[..., ys[:, None], xs[None, :]]


def photo(index: int) -> torch.Tensor:
    from skimage import data
    img = [data.astronaut, data.coffee, data.chelsea][index % 3]()
    return torch.from_numpy(np.ascontiguousarray(img)).permute(2, 0, 1)


def make_hg_batch(n: int = 2, size: int = 64, seed: int = 0):
    """``inputs`` (two views) and ``data_samples`` carrying HG targets."""
    g = torch.Generator().manual_seed(seed)
    views = [[], []]
    samples = []
    for b in range(n):
        img = photo(b).float()
        h, w = img.shape[-2:]
        grid = [(3, 4), (2, 3), (4, 4)][b % 3]
        labels, dist = block_regions(h, w, *grid)
        boxes, flips, view_labels = [], [], []
        for v in range(2):
            side = float(torch.empty(1).uniform_(0.55, 0.8, generator=g)) * h
            x0 = float(torch.rand(1, generator=g)) * (w - side)
            y0 = float(torch.rand(1, generator=g)) * (h - side)
            box = (x0, y0, x0 + side, y0 + side)
            flip = bool(v == 1 or b % 2)
            views[v].append((resample(img, box, flip, size) - MEAN) / STD)
            view_labels.append(resample(labels, box, flip, size))
            boxes.append(box)
            flips.append(flip)
        ds = SelfSupDataSample()
        ds.set_field(torch.stack(view_labels), 'hg_labels')
        ds.set_field(dist, 'hg_dist')
        ds.set_field(torch.tensor(boxes, dtype=torch.float32), 'hg_boxes')
        ds.set_field(torch.tensor(flips), 'hg_flips')
        samples.append(ds)
    return [torch.stack(v) for v in views], samples

