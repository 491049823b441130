"""Per-image region hierarchy: what HG's pixel sampler reads, and how it is computed.

One image becomes a :class:`RegionTree`: a label map of at most ``K`` regions at
the *grouping size* (the image resized so its long side is ``long_side``, never
enlarged) plus the merges of the tree above those regions. The store keeps
exactly that. :meth:`RegionTree.expand` gives the :class:`Hierarchy` a data
pipeline wants: labels upsampled by nearest neighbour to the ORIGINAL image size
and the ``R x R`` distance matrix.

Heights: ``normalize='image'`` (default) divides every merge height of an image by
its largest one, so distances lie in ``(0, 1]`` with 1 = the last merge. The paper's
temperature ``sigma_p = 0.8`` assumes such a scale; raw heights of the gradient
detector top out anywhere in 0.4-0.85 depending on the image. ``normalize='none'``
keeps raw mean-boundary heights (the detector's edge scale, within ``[0, 1]``).
"""
import json
from dataclasses import asdict, dataclass, is_dataclass
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
from PIL import Image

from .edges import build_edge_detector
from .merges import MAX_REGIONS, distance_matrix_from_merges
from .rgb import check_rgb_uint8
from .spectral import SpectralConfig, SpectralGlobalizer
from .ucm import regions_from_edges

NORMALIZE_MODES = ('image', 'none')
# Detector keywords that change how fast a map is made, not the map: left out of
# the store's settings, so the same store can be resumed on another device.
RUNTIME_DETECTOR_KWARGS = ('device', 'num_threads')


def detector_options(kwargs: Optional[Dict]) -> Dict:
    """The output-defining detector keywords as plain JSON values (dataclass configs as
    dicts, tuples as lists); ``None`` values and :data:`RUNTIME_DETECTOR_KWARGS` dropped."""
    def plain(v):
        return asdict(v) if is_dataclass(v) and not isinstance(v, type) else v

    kept = {k: plain(v) for k, v in sorted((kwargs or {}).items())
            if k not in RUNTIME_DETECTOR_KWARGS and v is not None}
    try:
        return json.loads(json.dumps(kept))
    except TypeError as err:
        raise TypeError(f'detector_kwargs must be JSON-like values (they are saved in the '
                        f"store's meta.json), got {kept!r}: {err}") from err


@dataclass
class Hierarchy:
    """Region map and region distances of one image, at its original size.

    Attributes:
        labels: ``uint8 (height, width)``, region ids ``0 .. R-1``.
        dist: ``float32 (R, R)``, ``dist[a, b]`` = height at which regions a and b
            merge (``d_T`` of the paper); symmetric, 0 on the diagonal, ultrametric.
        height: Image height as read from disk.
        width: Image width as read from disk.
        merges: ``uint8 (R-1, 2)`` child ids of each merge (see
            :mod:`dense_ssl.grouping.merges`).
        merge_heights: ``float16 (R-1,)``.
    """
    labels: np.ndarray
    dist: np.ndarray
    height: int
    width: int
    merges: np.ndarray
    merge_heights: np.ndarray

    @property
    def num_regions(self) -> int:
        return int(self.dist.shape[0])


@dataclass
class RegionTree:
    """Compact form of a :class:`Hierarchy`: what the store keeps.

    Attributes:
        labels: ``uint8 (h, w)`` region ids at the grouping size.
        merges: ``uint8 (R-1, 2)``.
        merge_heights: ``float16 (R-1,)``.
        height: Original image height.
        width: Original image width.
    """
    labels: np.ndarray
    merges: np.ndarray
    merge_heights: np.ndarray
    height: int
    width: int

    @property
    def num_regions(self) -> int:
        return len(self.merges) + 1

    def distance_matrix(self) -> np.ndarray:
        return distance_matrix_from_merges(self.merges, self.merge_heights, self.num_regions)

    def expand(self) -> Hierarchy:
        """Labels at the original size (nearest neighbour) and the distance matrix."""
        return Hierarchy(labels=resize_labels(self.labels, self.height, self.width),
                         dist=self.distance_matrix(), height=self.height, width=self.width,
                         merges=self.merges, merge_heights=self.merge_heights)

    def equals(self, other: 'RegionTree') -> bool:
        return (self.height == other.height and self.width == other.width
                and np.array_equal(self.labels, other.labels)
                and np.array_equal(self.merges, other.merges)
                and np.array_equal(self.merge_heights.view(np.uint16),
                                   other.merge_heights.view(np.uint16)))


def grouping_size(height: int, width: int, long_side: Optional[int]) -> Tuple[int, int]:
    """``(h, w)`` with the long side at most ``long_side`` (no enlargement)."""
    if not long_side or max(height, width) <= long_side:
        return height, width
    scale = long_side / max(height, width)
    return max(1, round(height * scale)), max(1, round(width * scale))


def resize_labels(labels: np.ndarray, height: int, width: int) -> np.ndarray:
    """Nearest-neighbour resize: output pixel ``(i, j)`` reads input pixel
    ``(floor((i + 0.5) * h / height), floor((j + 0.5) * w / width))``."""
    h, w = labels.shape
    if (h, w) == (height, width):
        return labels
    rows = np.minimum(((np.arange(height) + 0.5) * h / height).astype(np.int64), h - 1)
    cols = np.minimum(((np.arange(width) + 0.5) * w / width).astype(np.int64), w - 1)
    return labels[rows[:, None], cols[None, :]]


class HierarchyBuilder:
    """Image -> :class:`RegionTree`: edges, OWT-UCM, small-region filter, K-region cut.

    Args:
        detector: Edge detector name (``gradient``, ``hed``, ``sed``).
        max_regions: ``K``, the most leaf regions kept (paper: 40).
        long_side: Grouping size: the image is shrunk (bilinear, antialiased) so its
            long side is at most this; ``None`` or 0 keeps the original size.
        min_region_frac: Regions smaller than this fraction of the (resized) image
            are merged into a neighbour before cutting.
        normalize: ``'image'`` (heights / largest height of the image) or ``'none'``.
        detector_kwargs: Passed to :func:`build_edge_detector`; saved in :meth:`config`
            (so in the store's ``meta.json``) but for runtime-only ones (:func:`detector_options`).
        spectral: Globalize the edge map with gPb's spectral signal
            (:mod:`.spectral`) before OWT-UCM: ``True`` for the default
            :class:`SpectralConfig`, or a config; ``False``/``None`` for none.
    """

    def __init__(self, detector: str = 'gradient', max_regions: int = 40,
                 long_side: Optional[int] = 320, min_region_frac: float = 0.002,
                 normalize: str = 'image', detector_kwargs: Optional[Dict] = None,
                 spectral: Union[bool, SpectralConfig, None] = False) -> None:
        if not 1 <= max_regions <= MAX_REGIONS:
            raise ValueError(f'max_regions must be in [1, {MAX_REGIONS}], got {max_regions}')
        if normalize not in NORMALIZE_MODES:
            raise ValueError(f'normalize must be one of {NORMALIZE_MODES}, got {normalize!r}')
        self.detector_name = detector
        self.detector_options = detector_options(detector_kwargs)
        self.detector = build_edge_detector(detector, **(detector_kwargs or {}))
        self.max_regions = int(max_regions)
        self.long_side = long_side
        self.min_region_frac = float(min_region_frac)
        self.normalize = normalize
        if spectral is True:
            spectral = SpectralConfig()
        self.spectral = SpectralGlobalizer(spectral) if spectral else None

    def config(self) -> Dict:
        """Settings that define the output (saved in the store's metadata)."""
        cfg = dict(detector=self.detector_name, max_regions=self.max_regions,
                   long_side=self.long_side, min_region_frac=self.min_region_frac,
                   normalize=self.normalize)
        if self.spectral is not None:  # absent when off: older stores keep their identity
            cfg['spectral'] = self.spectral.to_dict()
        if self.detector_options:  # likewise absent for a detector's defaults
            cfg['detector_options'] = self.detector_options
        return cfg

    def resize(self, image: np.ndarray) -> np.ndarray:
        """The image at the grouping size."""
        image = check_rgb_uint8(image)
        h, w = grouping_size(*image.shape[:2], self.long_side)
        if (h, w) == image.shape[:2]:
            return image
        return np.asarray(Image.fromarray(image).resize((w, h), Image.BILINEAR))

    def edges(self, small: np.ndarray) -> np.ndarray:
        """Edge map of an image already at the grouping size (spectral step included)."""
        return self.globalize(self.detector(small))

    def globalize(self, edges: np.ndarray) -> np.ndarray:
        """The spectral step (:mod:`.spectral`) when enabled, else ``edges`` as they are."""
        return edges if self.spectral is None else self.spectral(edges)

    def detector_batch(self, smalls: Sequence[np.ndarray], batch_size: int) -> List[np.ndarray]:
        """Local edge maps of many grouping-size images: in batches where the detector
        has a ``batch`` method (HED on a GPU), else one by one."""
        batch = getattr(self.detector, 'batch', None)
        if batch is None:
            return [self.detector(s) for s in smalls]
        return batch(smalls, batch_size=batch_size)

    def tree_from_edges(self, edges: np.ndarray, height: int, width: int) -> RegionTree:
        """OWT-UCM, small-region filter and K-region cut of a grouping-size edge map."""
        min_area = int(round(self.min_region_frac * edges.size))
        labels, children, heights = regions_from_edges(edges, self.max_regions, min_area)
        if self.normalize == 'image' and len(heights) and heights.max() > 0:
            heights = heights / heights.max()
        return RegionTree(labels=labels.astype(np.uint8), merges=children.astype(np.uint8),
                          merge_heights=heights.astype(np.float16),
                          height=int(height), width=int(width))

    def compute(self, image: np.ndarray) -> Tuple[RegionTree, np.ndarray]:
        """Region tree and the edge map (at the grouping size) of an RGB uint8 image."""
        image = check_rgb_uint8(image)
        edges = self.edges(self.resize(image))
        return self.tree_from_edges(edges, *image.shape[:2]), edges

    def __call__(self, image: np.ndarray) -> RegionTree:
        return self.compute(image)[0]
