"""mIoU, DAVIS J and F on hand-made label maps (values worked out by hand)."""
import math

import numpy as np
import pytest

from dense_ssl.applications.metrics import (
    boundary_f_measure,
    confusion_matrix,
    davis_tolerance,
    iou_from_confusion,
    region_similarity,
    seg2bmap,
)


def test_confusion_matrix_and_miou_by_hand():
    gt = np.array([[0, 0, 1], [1, 2, 255]])
    pred = np.array([[0, 1, 1], [1, 0, 2]])  # last pixel ignored
    conf = confusion_matrix(pred, gt, num_classes=4)
    # rows = gt, cols = pred: gt 0 -> {0, 1}, gt 1 -> {1, 1}, gt 2 -> {0}
    expected = np.zeros((4, 4), int)
    expected[0, 0] = expected[0, 1] = expected[2, 0] = 1
    expected[1, 1] = 2
    np.testing.assert_array_equal(conf, expected)
    res = iou_from_confusion(conf)
    # IoU_0 = 1 / (2 + 2 - 1), IoU_1 = 2 / (3 + 2 - 2), IoU_2 = 0 / 1;
    # class 3 is in neither map: NaN, left out of the mean.
    np.testing.assert_allclose(res['iou'][:3], [1 / 3, 2 / 3, 0.0])
    assert math.isnan(res['iou'][3])
    assert res['miou'] == pytest.approx((1 / 3 + 2 / 3 + 0) / 3)
    assert res['acc'] == pytest.approx(3 / 5)


def test_confusion_accumulates_and_rejects_bad_labels():
    gt = np.array([0, 1])
    conf = confusion_matrix(np.array([0, 1]), gt, 2) + confusion_matrix(
        np.array([1, 1]), gt, 2)
    np.testing.assert_array_equal(conf, [[1, 1], [0, 2]])
    assert iou_from_confusion(conf)['miou'] == pytest.approx(
        (1 / 2 + 2 / 3) / 2)
    with pytest.raises(ValueError, match='outside'):
        confusion_matrix(np.array([0, 5]), gt, 2)


def square(top, left, side=3, size=8):
    m = np.zeros((size, size), bool)
    m[top:top + side, left:left + side] = True
    return m


def test_region_similarity_by_hand():
    a, b = square(2, 2), square(2, 3)  # 3x3 squares, shifted 1 px
    assert region_similarity(a, b) == pytest.approx(6 / 12)
    assert region_similarity(a, a) == 1.0
    assert region_similarity(a, np.zeros_like(a)) == 0.0
    empty = np.zeros((4, 4), bool)
    assert region_similarity(empty, empty) == 1.0  # DAVIS convention


def test_seg2bmap_is_the_ring_of_the_grown_box():
    # box rows/cols 2..4 -> boundary = ring of the box 1..4 (12 pixels)
    ring = np.zeros((8, 8), bool)
    ring[1:5, 1:5] = True
    ring[2:4, 2:4] = False
    np.testing.assert_array_equal(seg2bmap(square(2, 2)), ring)


def test_boundary_f_with_tolerance_0_and_1():
    a, b = square(2, 2), square(2, 3)
    # rings rows 1..4 x cols 1..4 and rows 1..4 x cols 2..5 share 3 pixels
    # of the top row and 3 of the bottom row: P = R = 6 / 12
    assert boundary_f_measure(b, a, tolerance=0) == pytest.approx(0.5)
    # every pixel of either ring is within one step of the other ring
    assert boundary_f_measure(b, a, tolerance=1) == pytest.approx(1.0)
    # half planes: boundaries are the columns 4 and 6, 2 px apart
    g = np.zeros((8, 8), bool)
    g[:, 5:] = True
    p = np.zeros((8, 8), bool)
    p[:, 7:] = True
    assert boundary_f_measure(p, g, tolerance=1) == 0.0
    assert boundary_f_measure(p, g, tolerance=2) == pytest.approx(1.0)


def test_boundary_f_partial_precision():
    # prediction = ground truth plus a separate 1-pixel blob far away: the
    # blob's boundary (seg2bmap of a pixel (r, c): (r-1, c-1), (r-1, c),
    # (r, c-1), (r, c) = 4 pixels) is unmatched, so P = 12 / 16, R = 1
    g = square(1, 1, size=10)
    p = g.copy()
    p[8, 8] = True
    f = 2 * (12 / 16) * 1 / (12 / 16 + 1)
    assert boundary_f_measure(p, g, tolerance=1) == pytest.approx(f)


def test_boundary_f_empty_masks_and_davis_tolerance():
    empty = np.zeros((8, 8), bool)
    assert boundary_f_measure(empty, empty) == 1.0
    assert boundary_f_measure(empty, square(2, 2)) == 0.0
    assert boundary_f_measure(square(2, 2), empty) == 0.0
    # 0.8% of the 480 x 854 diagonal (979.6 px) = 7.84 -> 8 px
    assert davis_tolerance((480, 854)) == 8
    assert davis_tolerance((480, 854), bound_th=3) == 3
