"""Share of geometrically correct dense matches between two augmented views.

As ``tools/visualize_correspondence.py`` counts them (DenseCL's Fig. 4):
two random resized crops (+ flips) of known geometry of one photo, the
L2-normalised feature maps of both views, their mutual nearest neighbours
(cosine); a match is correct when the true position of the view-1 cell
centre in view 2 lies in the matched cell (Chebyshev error <= 0.5 cell).
Unlike the tool, no similarity threshold is applied by default, so every
pair gives some matches and the share is defined for any feature.
"""
import math
from typing import Callable, Dict, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

#: (top, left, height, width, flip) of a view in photo pixels
Box = Tuple[float, float, float, float, bool]


def sample_view_pair(h: int, w: int, rng: np.random.Generator,
                     scale: Tuple[float, float] = (0.3, 1.0),
                     min_overlap: float = 0.3) -> Tuple[Box, Box]:
    """Two integer crop boxes (ratio 3/4-4/3) overlapping by >= min_overlap
    of the smaller one (the tool's sampling)."""

    def one() -> Box:
        for _ in range(100):
            area = h * w * rng.uniform(*scale)
            ratio = math.exp(rng.uniform(math.log(3 / 4), math.log(4 / 3)))
            cw = int(round(math.sqrt(area * ratio)))
            ch = int(round(math.sqrt(area / ratio)))
            if 0 < cw <= w and 0 < ch <= h:
                return (int(rng.integers(0, h - ch + 1)),
                        int(rng.integers(0, w - cw + 1)), ch, cw,
                        bool(rng.random() < 0.5))
        side = min(h, w)
        return (0, 0, side, side, False)

    def overlap(a: Box, b: Box) -> float:
        dy = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
        dx = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
        return max(dy, 0) * max(dx, 0) / min(a[2] * a[3], b[2] * b[3])

    pair = (one(), one())
    for _ in range(100):
        if overlap(*pair) >= min_overlap:
            break
        pair = (one(), one())
    return pair


def render_view(photo: np.ndarray, box: Box, size: int) -> Tensor:
    """(3, size, size) float RGB (0-255) view of an (H, W, 3) photo."""
    top, left, ch, cw, flip = box
    img = torch.from_numpy(np.ascontiguousarray(photo)).permute(2, 0, 1)
    crop = img[None, :, top:top + ch, left:left + cw].float()
    view = F.interpolate(crop, size=(size, size), mode='bilinear',
                         align_corners=False)[0]
    return view.flip(-1) if flip else view


def _to_photo(box: Box, u: np.ndarray, v: np.ndarray, size: int):
    top, left, ch, cw, flip = box
    u = size - u if flip else u
    return left + u * cw / size, top + v * ch / size


def _from_photo(box: Box, x: np.ndarray, y: np.ndarray, size: int):
    top, left, ch, cw, flip = box
    u, v = (x - left) * size / cw, (y - top) * size / ch
    return (size - u if flip else u), v


def match_counts(f1: Tensor, f2: Tensor, boxes: Tuple[Box, Box], size: int,
                 threshold: Optional[float] = None) -> Tuple[int, int]:
    """(mutual matches, correct ones) of two (C, G, G) maps of the views."""
    grid = f1.shape[-1]
    a = F.normalize(f1.flatten(1).float(), dim=0)
    b = F.normalize(f2.flatten(1).float(), dim=0)
    sim = a.t() @ b
    nn12, nn21 = sim.argmax(1), sim.argmax(0)
    i = torch.arange(sim.shape[0])
    keep = nn21[nn12] == i
    if threshold is not None:
        keep &= sim[i, nn12] > threshold
    i, j = i[keep].numpy(), nn12[keep].numpy()
    cell = size / grid
    u1, v1 = (i % grid + 0.5) * cell, (i // grid + 0.5) * cell
    u2, v2 = _from_photo(boxes[1], *_to_photo(boxes[0], u1, v1, size), size)
    uj, vj = (j % grid + 0.5) * cell, (j // grid + 0.5) * cell
    err = np.maximum(np.abs(u2 - uj), np.abs(v2 - vj)) / cell
    inside = (u2 >= 0) & (u2 < size) & (v2 >= 0) & (v2 < size)
    return len(i), int(((err <= 0.5) & inside).sum())


def correspondence_share(features: Callable[[Tensor], Tensor],
                         photos: Sequence[np.ndarray], size: int = 224,
                         seed: int = 0,
                         threshold: Optional[float] = None) -> Dict:
    """Pooled share of correct mutual matches over one view pair per photo.

    Args:
        features: (2, 3, size, size) RGB 0-255 views -> (2, C, G, G) maps.
        photos: (H, W, 3) uint8 RGB photos.

    Returns:
        ``dict(share=correct / matches, matches=..., correct=...)``.
    """
    rng = np.random.default_rng(seed)
    total = correct = 0
    for photo in photos:
        boxes = sample_view_pair(photo.shape[0], photo.shape[1], rng)
        views = torch.stack([render_view(photo, b, size) for b in boxes])
        with torch.no_grad():
            maps = features(views)
        n, c = match_counts(maps[0], maps[1], boxes, size, threshold)
        total, correct = total + n, correct + c
    return dict(share=correct / total if total else float('nan'),
                matches=total, correct=correct)
