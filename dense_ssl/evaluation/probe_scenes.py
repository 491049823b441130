"""Labelled scenes for dense probes, made from packaged photos.

A dead-leaves (occlusion) model: opaque random shapes ("leaves") are
painted back to front on a canvas; each is filled with a patch cut from one
of ``K`` source photos (class = source), at a random position, scale and
rotation, with a random per-channel colour gain. The label of a pixel is the
source of the leaf painted last over it, so labels are exact (no
anti-aliasing).

Why a dense feature should solve it and a global one should not: every
scene holds several classes in large, irregular, occluding regions, so no
image-level summary says which class is where; the class of a pixel is
given only by the local texture around it (the colour gain, rotation and
scale changes keep plain colour or orientation from being enough), which
is what a good dense feature describes.

Sources (public domain / CC): scikit-image's ``brick``, ``grass``,
``gravel`` (grey textures), ``chelsea``, ``coffee``, ``astronaut``,
``immunohistochemistry`` and scikit-learn's ``china`` sample photo.
Nothing is downloaded.

Scene ``i`` of a seed depends only on ``(seed, i)``: asking for more
scenes appends, it never changes the first ones.
"""
import os
from dataclasses import dataclass
from typing import Callable, List, Optional, Sequence, Tuple

import cv2
import numpy as np

#: the default sources, in class order
SOURCE_NAMES = ('brick', 'grass', 'gravel', 'chelsea', 'coffee', 'astronaut',
                'immunohistochemistry', 'china')


def load_source(name: str) -> np.ndarray:
    """(H, W, 3) uint8 RGB photo of a packaged source."""
    if name == 'china':
        from sklearn.datasets import load_sample_image
        img = load_sample_image('china.jpg')
    else:
        from skimage import data
        if not hasattr(data, name):
            raise ValueError(f'unknown source {name!r}; choose among '
                             f'{", ".join(SOURCE_NAMES)}')
        img = getattr(data, name)()
    if img.ndim == 2:
        img = np.stack([img] * 3, axis=-1)
    return np.ascontiguousarray(img[..., :3]).astype(np.uint8)


@dataclass
class Leaf:
    """One painted shape: its class, shape and texture placement."""
    label: int
    shape: str  # 'ellipse' | 'rectangle' | 'polygon'
    centre: Tuple[float, float]  # (x, y) in scene pixels
    radius: Tuple[float, float]  # half-axes (ellipse / rectangle), px
    angle: float  # shape rotation, degrees
    vertices: Optional[np.ndarray]  # (V, 2) for polygons
    tex_angle: float  # texture rotation, degrees
    tex_scale: float  # texture zoom
    tex_origin: Tuple[float, float]  # (x, y) in the source photo
    gain: Tuple[float, float, float]  # per-channel colour gain

    def mask(self, size: int) -> np.ndarray:
        """(size, size) bool mask of the shape."""
        m = np.zeros((size, size), np.uint8)
        c = (int(round(self.centre[0])), int(round(self.centre[1])))
        if self.shape == 'ellipse':
            cv2.ellipse(m, c, (int(self.radius[0]), int(self.radius[1])),
                        self.angle, 0, 360, 1, thickness=-1)
        elif self.shape == 'rectangle':
            box = cv2.boxPoints(((self.centre[0], self.centre[1]),
                                 (2 * self.radius[0], 2 * self.radius[1]),
                                 self.angle))
            cv2.fillPoly(m, [np.round(box).astype(np.int32)], 1)
        else:
            cv2.fillPoly(m, [np.round(self.vertices).astype(np.int32)], 1)
        return m.astype(bool)


def sample_leaf(rng: np.random.Generator, size: int, num_classes: int,
                sources: Sequence[np.ndarray]) -> Leaf:
    """A random leaf: radius ~ r^-3 (dead leaves) in [size/10, size/3]."""
    rmin, rmax = size / 10, size / 3
    u = rng.random()  # inverse CDF of p(r) ~ r^-3 on [rmin, rmax]
    r = 1 / np.sqrt(1 / rmin ** 2 - u * (1 / rmin ** 2 - 1 / rmax ** 2))
    label = int(rng.integers(num_classes))
    shape = ('ellipse', 'rectangle', 'polygon')[int(rng.integers(3))]
    centre = (float(rng.uniform(0, size)), float(rng.uniform(0, size)))
    aspect = float(rng.uniform(0.5, 1.0))
    radius = (float(r), float(r * aspect))
    angle = float(rng.uniform(0, 180))
    vertices = None
    if shape == 'polygon':  # a star-shaped polygon around the centre
        nv = int(rng.integers(5, 9))
        phis = np.sort(rng.uniform(0, 2 * np.pi, nv))
        rad = r * rng.uniform(0.5, 1.2, nv)
        vertices = np.stack([centre[0] + rad * np.cos(phis),
                             centre[1] + rad * np.sin(phis)], 1)
    src = sources[label]
    scale = float(np.exp(rng.uniform(np.log(0.6), np.log(1.6))))
    origin = (float(rng.uniform(0, src.shape[1])),
              float(rng.uniform(0, src.shape[0])))
    gain = tuple(float(g) for g in rng.uniform(0.75, 1.25, 3))
    return Leaf(label, shape, centre, radius, angle, vertices,
                float(rng.uniform(0, 360)), scale, origin, gain)


def leaf_texture(leaf: Leaf, source: np.ndarray, size: int) -> np.ndarray:
    """(size, size, 3) uint8: the leaf's source, rotated / zoomed about its
    origin, placed at the leaf's centre, colour-gained (mirrored past the
    photo's borders)."""
    rot = cv2.getRotationMatrix2D(leaf.tex_origin, leaf.tex_angle,
                                  leaf.tex_scale)
    rot[:, 2] += np.array(leaf.centre) - np.array(leaf.tex_origin)
    tex = cv2.warpAffine(source, rot, (size, size), flags=cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_REFLECT_101)
    out = tex.astype(np.float32) * np.array(leaf.gain, np.float32)
    return np.clip(np.round(out), 0, 255).astype(np.uint8)


def make_scene(seed: int, index: int, size: int = 224,
               num_leaves: int = 24,
               sources: Optional[Sequence[np.ndarray]] = None
               ) -> Tuple[np.ndarray, np.ndarray, List[Leaf]]:
    """Scene ``index`` of ``seed``.

    The first leaf covers the whole canvas (a background of one class);
    then ``num_leaves`` random leaves are painted over it.

    Returns:
        ``(image (size, size, 3) uint8, labels (size, size) uint8,
        leaves in painting order)``.
    """
    if sources is None:
        sources = [load_source(n) for n in SOURCE_NAMES]
    rng = np.random.default_rng([seed, index])
    k = len(sources)
    image = np.zeros((size, size, 3), np.uint8)
    labels = np.zeros((size, size), np.uint8)
    leaves = []
    for n in range(num_leaves + 1):
        leaf = sample_leaf(rng, size, k, sources)
        if n == 0:
            leaf.shape, leaf.centre = 'rectangle', (size / 2, size / 2)
            leaf.radius, leaf.angle = (size, size), 0.0
        m = leaf.mask(size)
        image[m] = leaf_texture(leaf, sources[leaf.label], size)[m]
        labels[m] = leaf.label
        leaves.append(leaf)
    return image, labels, leaves


def write_scenes(out_dir: str, num: int, seed: int, size: int = 224,
                 num_leaves: int = 24,
                 progress: Optional[Callable[[int, int], None]] = None
                 ) -> Tuple[str, str]:
    """Write ``num`` scenes as ``images/NNNNN.png`` + ``labels/NNNNN.png``.

    Labels are palette PNGs of class ids ``0 .. K-1`` (no ignored pixel);
    ``classes.txt`` names the source of each id.

    Returns:
        ``(images folder, labels folder)``.
    """
    from PIL import Image

    from dense_ssl.applications.image_io import write_index_png
    sources = [load_source(n) for n in SOURCE_NAMES]
    img_dir, lab_dir = (os.path.join(out_dir, d) for d in ('images',
                                                          'labels'))
    os.makedirs(img_dir, exist_ok=True)
    os.makedirs(lab_dir, exist_ok=True)
    with open(os.path.join(out_dir, 'classes.txt'), 'w') as f:
        f.write('\n'.join(SOURCE_NAMES) + '\n')
    for i in range(num):
        image, labels, _ = make_scene(seed, i, size, num_leaves, sources)
        Image.fromarray(image).save(os.path.join(img_dir, f'{i:05d}.png'))
        write_index_png(os.path.join(lab_dir, f'{i:05d}.png'), labels)
        if progress is not None:
            progress(i + 1, num)
    return img_dir, lab_dir
