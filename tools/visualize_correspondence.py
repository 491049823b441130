"""Draw the dense correspondence between two augmented views (DenseCL Fig. 4).

Two views of one photo are made with random resized crops and flips of known
geometry; the backbone's last feature map (C5) of each view is computed, and
lines join the mutual nearest neighbours (cosine similarity) whose similarity
is above a threshold, as the DenseCL authors did. The crop geometry gives the
true correspondence, so the script also counts the geometrically correct
matches. Writes a PNG and prints the counts.

Examples::

    # random-init ResNet-50 on an skimage photo
    .venv/bin/python tools/visualize_correspondence.py --out corr.png
    # a DenseCL pre-training checkpoint (or an exported backbone)
    .venv/bin/python tools/visualize_correspondence.py \
        --config configs/densecl_r50_coco.py \
        --checkpoint work_dirs/densecl_r50_coco/epoch_800.pth --image my.jpg
"""
import argparse
import math
import os
import sys
from dataclasses import dataclass
from typing import Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F

MEAN = (123.675, 116.28, 103.53)  # RGB, as the configs' data preprocessor
STD = (58.395, 57.12, 57.375)
DEFAULT_BACKBONE = dict(type='ResNet', depth=50, in_channels=3,
                        out_indices=[4], norm_cfg=dict(type='BN'))


@dataclass
class Crop:
    """A view: box (top, left, height, width) of the photo, resized, flip."""
    top: float
    left: float
    height: float
    width: float
    flip: bool

    def to_image(self, u: np.ndarray, v: np.ndarray,
                 size: int) -> Tuple[np.ndarray, np.ndarray]:
        """View pixel coordinates (u right, v down) -> photo coordinates."""
        if self.flip:
            u = size - u
        return (self.left + u * self.width / size,
                self.top + v * self.height / size)

    def from_image(self, x: np.ndarray, y: np.ndarray,
                   size: int) -> Tuple[np.ndarray, np.ndarray]:
        """Photo coordinates -> view pixel coordinates (may fall outside)."""
        u = (x - self.left) * size / self.width
        v = (y - self.top) * size / self.height
        if self.flip:
            u = size - u
        return u, v


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Draw mutual-nearest-neighbour matches between the C5 '
        'maps of two augmented views of one photo (DenseCL Figure 4).')
    parser.add_argument('--config', help='config whose model.backbone is '
                        'used (default: a ResNet-50)')
    parser.add_argument('--checkpoint', help='pre-training checkpoint '
                        '(state_dict with backbone.* keys) or an exported '
                        'backbone; default: random initialisation')
    parser.add_argument('--image', help='photo to use (default: '
                        'skimage.data.astronaut())')
    parser.add_argument('--out', default='correspondence.png',
                        help='PNG to write (default: %(default)s)')
    parser.add_argument('--threshold', type=float, default=0.9,
                        help='minimum cosine similarity of a drawn match '
                        '(default: %(default)s)')
    parser.add_argument('--size', type=int, default=224,
                        help='side of each view in pixels')
    parser.add_argument('--scale', type=float, nargs=2, default=(0.3, 1.0),
                        help='area range of the random crops')
    parser.add_argument('--seed', type=int, default=0,
                        help='seed of the crops and flips')
    return parser.parse_args(argv)


def load_photo(path: Optional[str]) -> np.ndarray:
    """(H, W, 3) uint8 RGB photo."""
    if path is None:
        from skimage import data
        return data.astronaut()
    if not os.path.isfile(path):
        raise SystemExit(f'--image {path}: no such file')
    from dense_ssl.image_io import ImageReadError, read_image
    try:
        return read_image(path)  # as training reads it: EXIF upright
    except ImageReadError as e:
        raise SystemExit(f'--image {e}')


def sample_crops(h: int, w: int, scale: Tuple[float, float],
                 rng: np.random.Generator) -> Tuple[Crop, Crop]:
    """Two random resized crops (ratio 3/4-4/3) sharing part of the photo."""

    def one() -> Crop:
        for _ in range(100):
            area = h * w * rng.uniform(*scale)
            ratio = math.exp(rng.uniform(math.log(3 / 4), math.log(4 / 3)))
            cw, ch = math.sqrt(area * ratio), math.sqrt(area / ratio)
            if cw <= w and ch <= h:
                return Crop(rng.uniform(0, h - ch), rng.uniform(0, w - cw),
                            ch, cw, bool(rng.random() < 0.5))
        side = min(h, w)
        return Crop(0, 0, side, side, False)

    def overlap(a: Crop, b: Crop) -> float:
        dy = min(a.top + a.height, b.top + b.height) - max(a.top, b.top)
        dx = min(a.left + a.width, b.left + b.width) - max(a.left, b.left)
        smaller = min(a.height * a.width, b.height * b.width)
        return max(dy, 0) * max(dx, 0) / smaller

    best = None
    for _ in range(100):
        pair = (one(), one())
        if overlap(*pair) >= 0.3:
            return pair
        best = pair
    return best


def render_view(photo: np.ndarray, crop: Crop, size: int) -> torch.Tensor:
    """(3, size, size) float RGB view of ``photo`` (0-255)."""
    img = torch.from_numpy(photo).permute(2, 0, 1).float().unsqueeze(0)
    top, left = int(round(crop.top)), int(round(crop.left))
    box = img[..., top:top + int(round(crop.height)),
              left:left + int(round(crop.width))]
    # Keep the geometry exact: use the rounded box from here on.
    crop.top, crop.left = float(top), float(left)
    crop.height, crop.width = float(box.shape[-2]), float(box.shape[-1])
    view = F.interpolate(box, size=(size, size), mode='bilinear',
                         align_corners=False)[0]
    return view.flip(-1) if crop.flip else view


def build_backbone(config: Optional[str]) -> torch.nn.Module:
    import dense_ssl  # noqa: F401  (registers the dense_ssl scope)
    from mmengine.registry import DefaultScope

    from dense_ssl.registry import MODELS
    cfg = DEFAULT_BACKBONE
    if config is not None:
        if not os.path.isfile(config):
            raise SystemExit(f'--config {config}: no such file')
        from mmengine.config import Config
        model_cfg = Config.fromfile(config).get('model', {})
        if 'backbone' not in model_cfg:
            raise SystemExit(f'--config {config}: no model.backbone in it')
        cfg = model_cfg['backbone']
    from mmengine.logging import MMLogger
    # init_weights logs one INFO line per tensor: keep the output readable.
    MMLogger.get_instance('visualize_correspondence', log_level='WARNING')
    with DefaultScope.overwrite_default_scope('dense_ssl'):
        backbone = MODELS.build(cfg)
    backbone.init_weights()
    backbone.eval()  # mmcls' ResNet.train() returns None: no chaining
    return backbone


def load_backbone_weights(backbone: torch.nn.Module, path: str) -> None:
    """Load a full pre-training checkpoint or an exported backbone."""
    from dense_ssl.checkpoint_safety import (CheckpointError, safe_load,
                                             state_dict_of)
    try:
        state = state_dict_of(safe_load(path), path)
    except CheckpointError as exc:
        raise SystemExit(f'--checkpoint: {exc}')
    if any(k.startswith('backbone.') for k in state):
        state = {k[len('backbone.'):]: v for k, v in state.items()
                 if k.startswith('backbone.')}
    from dense_ssl.applications.weights import check_same_shapes
    try:
        check_same_shapes(state, backbone.state_dict(), path,
                          what='the backbone of --config')
    except ValueError as exc:
        raise SystemExit(str(exc))
    missing, unexpected = backbone.load_state_dict(state, strict=False)
    if missing:
        raise SystemExit(
            f'--checkpoint {path}: {len(missing)} backbone weights missing '
            f'(e.g. {missing[0]}); is it a checkpoint of this backbone?')
    if unexpected:
        print(f'note: ignored {len(unexpected)} keys not in the backbone '
              f'(e.g. {unexpected[0]})')


@torch.no_grad()
def c5_features(backbone: torch.nn.Module,
                views: torch.Tensor) -> torch.Tensor:
    """(2, C, G, G) L2-normalised last backbone maps of the two views."""
    mean = torch.tensor(MEAN).view(1, 3, 1, 1)
    std = torch.tensor(STD).view(1, 3, 1, 1)
    out = backbone((views - mean) / std)[-1]
    return F.normalize(out, dim=1)


def mutual_matches(f1: torch.Tensor, f2: torch.Tensor, threshold: float):
    """Mutual nearest neighbours of (C, G, G) maps with similarity > t.

    Returns:
        (i, j, sim): flat cell indices in view 1 and view 2, similarities.
    """
    a, b = f1.flatten(1), f2.flatten(1)
    sim = a.t() @ b  # (G*G, G*G) cosine similarities
    nn12, nn21 = sim.argmax(1), sim.argmax(0)
    i = torch.arange(sim.size(0))
    keep = (nn21[nn12] == i) & (sim[i, nn12] > threshold)
    return i[keep].numpy(), nn12[keep].numpy(), sim[i, nn12][keep].numpy()


def cell_centres(idx: np.ndarray, grid: int, size: int):
    cell = size / grid
    return (idx % grid + 0.5) * cell, (idx // grid + 0.5) * cell


def geometric_error(i, j, crops, grid: int, size: int) -> np.ndarray:
    """Distance, in cells (Chebyshev), between the true position of each
    view-1 cell centre in view 2 and the centre of its matched cell
    (inf where the point is outside view 2)."""
    u1, v1 = cell_centres(i, grid, size)
    u2, v2 = crops[1].from_image(*crops[0].to_image(u1, v1, size), size)
    uj, vj = cell_centres(j, grid, size)
    cell = size / grid
    err = np.maximum(np.abs(u2 - uj), np.abs(v2 - vj)) / cell
    inside = (u2 >= 0) & (u2 < size) & (v2 >= 0) & (v2 < size)
    return np.where(inside, err, np.inf)


def draw(views, i, j, sim, ok, grid, size, threshold, out, title):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    gap = size // 8
    canvas = np.full((size, 2 * size + gap, 3), 255, dtype=np.uint8)
    for k, view in enumerate(views):
        img = view.permute(1, 2, 0).clamp(0, 255).byte().numpy()
        canvas[:, k * (size + gap):k * (size + gap) + size] = img
    fig, ax = plt.subplots(figsize=(10, 10 * size / (2 * size + gap) + 0.6))
    ax.imshow(canvas)
    u1, v1 = cell_centres(i, grid, size)
    u2, v2 = cell_centres(j, grid, size)
    cmap = plt.get_cmap('viridis')
    for a, b, c, d, s, good in zip(u1, v1, u2, v2, sim, ok):
        ax.plot([a, c + size + gap], [b, d], '-' if good else '--',
                color=cmap((s - threshold) / max(1 - threshold, 1e-6)),
                linewidth=1.2)
        ax.plot([a, c + size + gap], [b, d], 'o', markersize=3,
                color='white' if good else 'red')
    ax.set_title(title, fontsize=10)
    ax.axis('off')
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    if not 0 < args.threshold <= 1:
        raise SystemExit(f'--threshold {args.threshold}: must be in (0, 1]')
    photo = load_photo(args.image)
    rng = np.random.default_rng(args.seed)
    crops = sample_crops(photo.shape[0], photo.shape[1], tuple(args.scale),
                         rng)
    views = torch.stack([render_view(photo, c, args.size) for c in crops])
    print('building backbone ...', flush=True)
    backbone = build_backbone(args.config)
    if args.checkpoint:
        load_backbone_weights(backbone, args.checkpoint)
    feats = c5_features(backbone, views)
    grid = feats.shape[-1]
    if feats.shape[-2] != grid:
        raise SystemExit(f'non-square feature map {tuple(feats.shape[-2:])}')
    i, j, sim = mutual_matches(feats[0], feats[1], args.threshold)
    err = geometric_error(i, j, crops, grid, args.size)
    exact, near = int((err <= 0.5).sum()), int((err <= 1.5).sum())
    weights = args.checkpoint or 'random init'
    print(f'{len(i)} mutual matches with cosine > {args.threshold} on the '
          f'{grid}x{grid} grid; geometrically correct: {exact} (true point '
          f'in the matched cell), {near} (within one cell)')
    title = (f'{len(i)} matches (cos > {args.threshold}), {exact} correct, '
             f'{near} within 1 cell - {os.path.basename(weights)}\n'
             'solid line, white dots: geometrically correct; dashed, red: not;'
             ' colour: similarity')
    draw(views, i, j, sim, err <= 0.5, grid, args.size, args.threshold,
         args.out, title)
    print(f'wrote {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
