"""The weight-free ``pmi`` detector (dense_ssl.grouping.pmi): PMI and pairs worked by
hand, and a texture that multicue fires on but PMI groups; ``pmi-local``'s straddling
votes worked by hand."""
import numpy as np
import pytest

from dense_ssl.grouping import build_edge_detector
from dense_ssl.grouping.multicue import MultiCueEdgeDetector
from dense_ssl.grouping.pmi import (
    PMI_LOCAL,
    PMIConfig,
    PMIEdgeDetector,
    pmi_matrix,
    pmi_signal,
    straddling_pmi,
)
from dense_ssl.grouping.spectral import neighbour_pairs


def test_pmi_matrix_by_hand():
    # pairs (0,0), (0,1), (1,1), seen both ways: counts [[2, 1], [1, 2]] of 6,
    # P(A) = (1/2, 1/2); PMI_1(0,0) = log((2/6) / (1/4)) = log(4/3), PMI_1(0,1) = log(2/3)
    a, b = np.array([0, 0, 1]), np.array([0, 1, 1])
    pmi = pmi_matrix(a, b, 2, rho=1.0, prior=0.0)
    np.testing.assert_allclose(pmi, np.log([[4 / 3, 2 / 3], [2 / 3, 4 / 3]]))
    # rho 1.25: 1.25 log P(A, B) - log P(A) - log P(B)
    pmi = pmi_matrix(a, b, 2, rho=1.25, prior=0.0)
    assert pmi[0, 1] == pytest.approx(1.25 * np.log(1 / 6) + 2 * np.log(2))
    # the prior adds prior * mean count to each cell: a pair never seen stays finite
    pmi = pmi_matrix(np.array([0, 1]), np.array([0, 1]), 3, rho=1.0, prior=0.5)
    counts = np.diag([2.0, 2.0, 0.0]) + 0.5 * 4 / 9
    joint = counts / counts.sum()
    m = joint.sum(1)
    np.testing.assert_allclose(pmi, np.log(joint / m[:, None] / m[None, :]))
    assert np.isfinite(pmi).all() and pmi[0, 1] < pmi[0, 0]


def test_neighbour_pairs_by_hand():
    i, j = neighbour_pairs(2, 3, 1)
    got = sorted(tuple(sorted(p)) for p in zip(i.tolist(), j.tolist()))
    assert got == [(0, 1), (0, 3), (1, 2), (1, 4), (2, 5), (3, 4), (4, 5)]
    # radius 2 on 3 x 3: offsets (0,1) 6, (0,2) 3, (1,-1) 4, (1,0) 6, (1,1) 4, (2,0) 3
    i, j = neighbour_pairs(3, 3, 2)
    assert len(i) == 26 and len({tuple(sorted(p)) for p in zip(i, j)}) == 26
    dy, dx = np.divmod(i, 3)[0] - np.divmod(j, 3)[0], np.divmod(i, 3)[1] - np.divmod(j, 3)[1]
    assert (dy * dy + dx * dx <= 4).all() and (i != j).all()


def two_textures(size=64, cell=4):
    """Left: red / green checkerboard; right: blue / yellow; the border at column 32."""
    yy, xx = np.mgrid[:size, :size]
    odd = ((yy // cell + xx // cell) % 2).astype(bool)
    image = np.zeros((size, size, 3), np.uint8)
    left, right = xx < size // 2, xx >= size // 2
    image[left & odd], image[left & ~odd] = (200, 40, 40), (40, 160, 40)
    image[right & odd], image[right & ~odd] = (40, 40, 200), (220, 210, 60)
    return image


def test_pmi_groups_a_texture_that_gradients_fire_on():
    image = two_textures()
    for sigma, floor in ((1.0, 0.4), (2.0, 0.5)):
        signal = pmi_signal(image, PMIConfig(sigma=sigma))
        assert signal.shape == (64, 64) and signal.dtype == np.float32
        assert signal.max() == pytest.approx(1.0)
        columns = signal[8:-8].mean(0)
        border = columns[28:36].max()
        inside = np.r_[columns[4:20], columns[44:60]].mean()
        # the sum over 16 eigenvectors leaves a floor inside (measured: 0.25 of a 0.77
        # peak at sigma 1, 0.36 of 0.82 at the default sigma 2, whose wider derivative
        # spreads the border); the border stands out at 3x / 2.3x it
        assert 28 <= int(np.argmax(columns)) <= 35 and inside < floor * border
    # multicue answers to every cell edge of the checkerboards nearly as to the border
    # (measured 0.61 of its peak)
    local = MultiCueEdgeDetector()(image)[8:-8].mean(0)
    assert np.r_[local[4:20], local[44:60]].mean() > 0.5 * local[28:36].max()


def test_detector_mixes_multicue_and_is_deterministic():
    image = two_textures()
    det = build_edge_detector('pmi')
    assert isinstance(det, PMIEdgeDetector) and det.config == PMIConfig()
    out = det(image)
    assert out.dtype == np.float32 and 0 <= out.min() and out.max() <= 1
    np.testing.assert_array_equal(out, det(image))  # fixed k-means seed
    expected = 0.5 * MultiCueEdgeDetector()(image) + 0.5 * pmi_signal(image)
    np.testing.assert_allclose(out, np.clip(expected, 0, 1), atol=1e-6)
    np.testing.assert_array_equal(PMIEdgeDetector(weight=0.0)(image),
                                  MultiCueEdgeDetector()(image))


def test_one_colour_has_no_boundary():
    flat = np.full((40, 50, 3), 90, np.uint8)
    assert not pmi_signal(flat).any() and not build_edge_detector('pmi')(flat).any()


def test_straddling_pmi_by_hand():
    # two regions, columns 0-3 and 4-7; their clusters never meet inside: PMI -2 across
    labels = np.zeros((6, 8), np.int64)
    labels[:, 4:] = 1
    pmi = np.array([[1.0, -2.0], [-2.0, 1.0]])
    # radius 1: pairs (0, 1) and (1, 0); only (y, 3)-(y, 4) crosses, voting 2 at its
    # midpoint rounded to the first pixel, column 3; pairs of one cluster vote 0
    expected = np.zeros((6, 8), np.float32)
    expected[:, 3] = 2
    np.testing.assert_array_equal(straddling_pmi(labels, pmi, 1, smooth=0), expected)
    # radius 2 adds (0, 2), (1, -1), (1, 1), (2, 0). Horizontal bin at column 3: the
    # (0, 1) pair 3-4 and the (0, 2) pair 2-4 both vote 2 (mean 2); at column 4 the
    # (0, 2) pair 3-5 votes 2 and the (0, 1) pair 4-5 votes 0 (mean 1). The diagonal
    # (1, 1) pairs from column 3 vote 2 at column 3, the (1, -1) pairs from column 4
    # vote 2 at column 4, except in the last row, which no diagonal pair starts from.
    expected[:, 4] = 2
    expected[-1, 4] = 1
    np.testing.assert_array_equal(straddling_pmi(labels, pmi, 2, smooth=0), expected)
    # positive PMI anywhere: no boundary
    assert not straddling_pmi(labels, np.ones((2, 2)), 2).any()


def test_pmi_local_finds_the_border_and_nothing_inside_the_textures():
    image = two_textures()
    signal = pmi_signal(image, PMIConfig(**PMI_LOCAL))
    assert signal.shape == (64, 64) and signal.dtype == np.float32
    assert signal.max() == pytest.approx(1.0)
    columns = signal[8:-8].mean(0)
    # the two shades of each checkerboard are frequent neighbours (PMI > 0): no vote
    # inside; the colours across column 32 meet only there
    assert 30 <= int(np.argmax(columns)) <= 33 and columns[28:36].max() > 0.9
    assert not columns[:24].any() and not columns[40:].any()
    # on a shrunk grid the evidence comes back at the image's size
    coarse = pmi_signal(image, PMIConfig(**dict(PMI_LOCAL, downsample=2)))
    assert coarse.shape == (64, 64) and 28 <= int(np.argmax(coarse[8:-8].mean(0))) <= 35


def test_pmi_local_detector_is_pmi_with_its_preset():
    image = two_textures()
    det = build_edge_detector('pmi-local')
    assert isinstance(det, PMIEdgeDetector) and det.config == PMIConfig(
        globalize=False, downsample=1, weight=0.25)
    expected = 0.75 * MultiCueEdgeDetector()(image) + 0.25 * pmi_signal(image, det.config)
    np.testing.assert_allclose(det(image), np.clip(expected, 0, 1), atol=1e-6)
    # a --detector-option overrides the preset
    assert build_edge_detector('pmi-local', weight=0.5).config.weight == 0.5
    flat = np.full((40, 50, 3), 90, np.uint8)
    assert not det(flat).any()
