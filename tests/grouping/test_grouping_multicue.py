"""The weight-free multicue detector on synthetic step edges (values worked by hand)."""
import numpy as np
import pytest

from dense_ssl.grouping import build_edge_detector
from dense_ssl.grouping.multicue import CUE_SCALES, MultiCueEdgeDetector


def grey_step(vertical=True, lo=50, hi=200, size=(64, 64)):
    image = np.full(size + (3,), lo, np.uint8)
    if vertical:
        image[:, size[1] // 2:] = hi  # step between columns 31 and 32
    else:
        image[size[0] // 2:] = hi
    return image


def lightness(v):
    from skimage.color import rgb2lab
    return float(rgb2lab(np.full((1, 1, 3), v, np.uint8))[0, 0, 0])


def test_vertical_step_peaks_on_the_step_with_a_horizontal_normal():
    det = MultiCueEdgeDetector()
    cues = det.cues(grey_step())
    mag, theta = cues['L']
    row = mag[32]
    assert int(np.argmax(row)) in (31, 32)
    # a unit step seen 0.5 px away by sigma * dG_sigma: phi(0.5 / sigma) / sqrt(2 pi);
    # averaged over sigma = 1, 2, 4 and times the Lab step in L.
    dl = lightness(200) - lightness(50)
    expected = dl * np.mean([np.exp(-0.125 / s ** 2) for s in (1, 2, 4)]) / np.sqrt(2 * np.pi)
    assert row[31] == pytest.approx(expected, rel=0.02)
    assert theta[32, 31] == pytest.approx(0.0, abs=1e-3)  # normal along x
    # grey image: no colour gradient at all
    assert cues['a'][0].max() < 1e-3 and cues['b'][0].max() < 1e-3
    strength, orient = det.oriented(grey_step())
    assert int(np.argmax(strength[32])) in (31, 32)
    assert orient[32, 31] == pytest.approx(0.0, abs=1e-3)
    # far from the step (the widest texture filter reaches ~25 px) nothing answers
    assert strength[32, :4].max() < 1e-3 and strength[32, -4:].max() < 1e-3


def test_horizontal_step_has_a_vertical_normal():
    strength, orient = MultiCueEdgeDetector().oriented(grey_step(vertical=False))
    col = strength[:, 20]
    assert int(np.argmax(col)) in (31, 32)
    assert orient[31, 20] == pytest.approx(np.pi / 2, abs=1e-3)


def test_strength_is_the_equal_weight_average_of_scaled_cues():
    det = MultiCueEdgeDetector()
    image = grey_step()
    cues = det.cues(image)
    expected = sum(cues[k][0] / CUE_SCALES[k] for k in cues) / 4
    np.testing.assert_allclose(det(image), np.clip(expected, 0, 1), rtol=1e-5, atol=1e-7)


def test_texture_boundary_without_a_brightness_step():
    # left: fine vertical stripes, right: flat grey of about the same mean brightness
    rng = np.random.RandomState(0)
    image = np.full((64, 64, 3), 128, np.uint8)
    image[:, :32:2] = 60
    image[:, 1:32:2] = 196
    cues = MultiCueEdgeDetector().cues(image)
    tex = cues['texture'][0][32]
    assert 26 <= int(np.argmax(tex[8:56])) + 8 <= 38
    assert tex[28:36].max() > 5 * tex[50:56].max()
    del rng


def test_registered_by_name():
    assert isinstance(build_edge_detector('multicue'), MultiCueEdgeDetector)
