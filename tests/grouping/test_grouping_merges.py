"""Region trees as merges: distances worked out by hand."""
import numpy as np
import pytest

from dense_ssl.grouping.merges import (
    distance_matrix_from_merges,
    is_ultrametric,
    merges_from_parents,
)


def test_balanced_tree_distances_by_hand():
    # ((0 1)@0.25 (2 3)@0.5)@1: leaves 0-3, merges create nodes 4, 5, 6.
    children = np.array([[0, 1], [2, 3], [4, 5]], np.uint8)
    heights = np.array([0.25, 0.5, 1.0], np.float16)
    d = distance_matrix_from_merges(children, heights)
    expected = np.array([[0, .25, 1, 1],
                         [.25, 0, 1, 1],
                         [1, 1, 0, .5],
                         [1, 1, .5, 0]], np.float32)
    assert d.dtype == np.float32
    np.testing.assert_array_equal(d, expected)
    assert is_ultrametric(d)


def test_chain_tree_and_float16_heights_are_kept_exactly():
    # (0 (1 2)@0.3)@0.7; 0.3 is not a float16 number, the float16 value is returned.
    heights = np.array([0.3, 0.7], np.float16)
    d = distance_matrix_from_merges(np.array([[1, 2], [0, 3]]), heights, num_regions=3)
    assert d[1, 2] == d[2, 1] == np.float32(np.float16(0.3)) != np.float32(0.3)
    assert d[0, 1] == d[0, 2] == np.float32(np.float16(0.7))
    assert np.all(np.diag(d) == 0)


def test_single_region_has_no_merges():
    d = distance_matrix_from_merges(np.zeros((0, 2)), np.zeros(0), num_regions=1)
    np.testing.assert_array_equal(d, np.zeros((1, 1)))


@pytest.mark.parametrize('children,num_regions', [
    ([[0, 1], [0, 2]], 3),  # leaf 0 merged twice
    ([[0, 1]], 3),  # too few merges for 3 regions
    ([[0, 5], [2, 3]], 3),  # node 5 does not exist yet
])
def test_invalid_merges_are_refused(children, num_regions):
    with pytest.raises(ValueError):
        distance_matrix_from_merges(np.array(children), np.ones(len(children)), num_regions)


def test_non_binary_parent_array_to_binary_merges():
    # Node 4 = {0, 1, 2} at 0.4; root 5 = {4, 3} at 1.0.
    parents = np.array([4, 4, 4, 5, 5, 5])
    altitudes = np.array([0, 0, 0, 0, 0.4, 1.0])
    children, heights = merges_from_parents(parents, altitudes, 4)
    np.testing.assert_array_equal(children, [[0, 1], [4, 2], [3, 5]])
    np.testing.assert_array_equal(heights, [0.4, 0.4, 1.0])
    d = distance_matrix_from_merges(children, heights)
    np.testing.assert_array_equal(d[:3, :3], np.float32(0.4) * (1 - np.eye(3, dtype=np.float32)))
    np.testing.assert_array_equal(d[3, :3], [1, 1, 1])


def test_is_ultrametric_detects_violations():
    assert is_ultrametric(np.array([[0, 1, 2], [1, 0, 2], [2, 2, 0]]))
    assert not is_ultrametric(np.array([[0, 1, 3], [1, 0, 1], [3, 1, 0]]))  # 3 > max(1, 1)
    assert not is_ultrametric(np.array([[0, 1], [2, 0]]))  # not symmetric
    assert not is_ultrametric(np.array([[1, 1], [1, 1]]))  # diagonal not 0
