"""Crop box sampling, the view -> original mapping, and image / region map
alignment through HGRandomResizedCropFlip (synthetic label maps)."""
import numpy as np
import pytest

from dense_ssl.datasets.transforms.hg_geometry import (
    HGRandomResizedCropFlip,
    sample_crop_box,
    view_source_indices,
    view_to_original,
)
from dense_ssl.grouping import resize_labels

# a distinct colour per region id: the image "encodes" its labels
LUT = np.array([[0, 0, 255], [0, 255, 0], [255, 0, 0], [255, 255, 0],
                [0, 255, 255], [255, 0, 255], [128, 128, 128]], np.uint8)


def voronoi_labels(h, w, n, seed):
    """A label map of ``n`` convex regions (nearest of n random seeds)."""
    rng = np.random.RandomState(seed)
    pts = rng.rand(n, 2) * [h, w]
    yy, xx = np.mgrid[:h, :w]
    d = (yy[..., None] - pts[:, 0]) ** 2 + (xx[..., None] - pts[:, 1]) ** 2
    return d.argmin(-1).astype(np.uint8)


def test_view_to_original_by_hand():
    # box 100 wide, 50 high; view 2 rows x 4 columns: 25 px per column,
    # 25 px per row
    x, y = view_to_original(np.array([0, 3]), np.array([0, 1]),
                            (10, 20, 110, 70), False, (2, 4))
    np.testing.assert_allclose(x, [22.5, 97.5])
    np.testing.assert_allclose(y, [32.5, 57.5])
    # flipped: view column 0 shows crop column 3
    x, _ = view_to_original(np.array([0, 3]), np.array([0, 1]),
                            (10, 20, 110, 70), True, (2, 4))
    np.testing.assert_allclose(x, [97.5, 22.5])


def test_source_indices_by_hand():
    # a 6-px-wide box from x=2 shrunk to 3 columns: centres 2 + (u + .5) * 2
    # = 3, 5, 7; a 4x4 label map of an 8x8 image reads floor((j + .5) / 2)
    rows, cols = view_source_indices((2, 0, 8, 3), False, (3, 3), (8, 8))
    assert cols.tolist() == [3, 5, 7] and rows.tolist() == [0, 1, 2]
    rows, cols = view_source_indices((2, 0, 8, 3), True, (3, 3), (8, 8),
                                     label_size=(4, 4))
    assert cols.tolist() == [3, 2, 1] and rows.tolist() == [0, 0, 1]


def test_crop_box_fallback_and_bounds():
    # no attempt can succeed with ratio 1 and area 100% of a 2:1 image:
    # centred square crop
    assert sample_crop_box(50, 100, (1.0, 1.0), (1.0, 1.0)) == (25, 0, 75, 50)
    rng = np.random.RandomState(0)
    fracs = []
    for _ in range(300):
        x0, y0, x1, y1 = sample_crop_box(97, 131, (0.2, 1.0), rng=rng)
        assert 0 <= x0 < x1 <= 131 and 0 <= y0 < y1 <= 97
        fracs.append((x1 - x0) * (y1 - y0) / (97 * 131))
        assert 3 / 4 - 0.05 < (x1 - x0) / (y1 - y0) < 4 / 3 + 0.05 or \
            fracs[-1] > 0.9
    # area fractions span the scale range (rounding moves them a little)
    assert min(fracs) < 0.25 and max(fracs) > 0.9
    assert all(0.18 < f <= 1.0 for f in fracs)


@pytest.mark.parametrize('label_size', [None, (23, 31)])
def test_nearest_views_keep_encoding_labels_and_contract(label_size):
    """With nearest image resampling, view colours == LUT[view labels]
    everywhere, and every view pixel mapped back through (box, flip) lands on
    the same original label. ``label_size``: a region map stored smaller than
    the image (the store's grouping size) gives the same views as the
    full-size one."""
    h, w = 97, 131
    small = voronoi_labels(*(label_size or (h, w)), 7, seed=1)
    full = resize_labels(small, h, w)
    img = LUT[full]
    t = HGRandomResizedCropFlip(size=(24, 32), interpolation='nearest')
    flips = set()
    np.random.seed(0)
    for _ in range(20):
        out = t(dict(img=img, hg_labels=small))
        view_lab, box, flip = out['hg_labels'], out['hg_box'], out['hg_flip']
        flips.add(flip)
        assert view_lab.shape == (24, 32) and out['img'].shape == (24, 32, 3)
        np.testing.assert_array_equal(out['img'], LUT[view_lab])
        vv, uu = np.mgrid[:24, :32]
        x, y = view_to_original(uu, vv, box, flip, (24, 32))
        np.testing.assert_array_equal(
            full[np.floor(y).astype(int), np.floor(x).astype(int)], view_lab)
    assert flips == {True, False}


def test_interpolated_views_agree_with_labels_away_from_boundaries():
    """Default (area / bilinear) resampling: wherever the source footprint of
    a view pixel lies inside one region, its colour is exactly LUT[label]."""
    h, w = 120, 160
    labels = voronoi_labels(h, w, 5, seed=2)
    img = LUT[labels]
    checked = 0
    np.random.seed(1)
    for size in [(40, 40), (224, 224)]:  # shrinking (area) and enlarging
        t = HGRandomResizedCropFlip(size=size, scale=(0.05, 1.0))
        for _ in range(10):
            out = t(dict(img=img, hg_labels=labels))
            x0, y0, x1, y1 = out['hg_box']
            vv, uu = np.mgrid[:size[0], :size[1]]
            x, y = view_to_original(uu, vv, out['hg_box'], out['hg_flip'],
                                    size)
            # footprint half-size in original pixels, plus the bilinear tap
            rx = max((x1 - x0) / size[1], 1) / 2 + 1
            ry = max((y1 - y0) / size[0], 1) / 2 + 1
            uniform = np.ones(size, bool)
            for dy in np.linspace(-ry, ry, 5):
                for dx in np.linspace(-rx, rx, 5):
                    yy = np.clip(np.floor(y + dy).astype(int), 0, h - 1)
                    xx = np.clip(np.floor(x + dx).astype(int), 0, w - 1)
                    uniform &= labels[yy, xx] == out['hg_labels']
            np.testing.assert_array_equal(
                out['img'][uniform], LUT[out['hg_labels']][uniform])
            checked += uniform.sum()
    assert checked > 0.5 * 10 * (40 * 40 + 224 * 224)


def test_invalid_arguments_are_rejected():
    with pytest.raises(ValueError, match='scale'):
        HGRandomResizedCropFlip(224, scale=(0.5, 0.2))
    with pytest.raises(ValueError, match='flip_prob'):
        HGRandomResizedCropFlip(224, flip_prob=2)
    t = HGRandomResizedCropFlip(8, interpolation='cubic')
    with pytest.raises(ValueError, match='interpolation'):
        t(dict(img=np.zeros((10, 10, 3), np.uint8),
               hg_labels=np.zeros((10, 10), np.uint8)))
