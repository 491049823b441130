"""Spectral globalization (gPb's sPb) on hand-made maps."""
import numpy as np
import pytest

from dense_ssl.grouping import HierarchyBuilder
from dense_ssl.grouping.spectral import (
    SpectralConfig,
    SpectralGlobalizer,
    intervening_contour_affinity,
    ncut_eigenvectors,
    spectral_signal,
)


def test_affinity_is_exp_of_the_strongest_contour_crossed():
    # 1 x 3 map [0, 0.2, 0.5], radius 2, rho 0.1: the segment 0-1 crosses max 0.2,
    # 0-2 and 1-2 cross 0.5 (end points count).
    W = intervening_contour_affinity(np.array([[0.0, 0.2, 0.5]]), radius=2, rho=0.1).toarray()
    expected = np.exp(-np.array([[0, 2, 5], [2, 0, 5], [5, 5, 0]]) * 1.0)
    np.fill_diagonal(expected, 0)
    np.testing.assert_allclose(W, expected, rtol=1e-12)


def test_affinity_radius_counts_disc_offsets():
    # 5 x 5 flat map, radius 1: 4-neighbours only -> 2 * (5 * 4) * 2 = 80 entries, all 1.
    W = intervening_contour_affinity(np.zeros((5, 5)), radius=1, rho=0.1)
    assert W.nnz == 80
    np.testing.assert_allclose(W.data, 1.0)
    assert (W != W.T).nnz == 0


def two_region_edges(h=24, w=32, boundary=0.5):
    """Left and right halves of a flat image: a vertical contour at columns 15-16."""
    e = np.zeros((h, w), np.float32)
    e[:, w // 2 - 1:w // 2 + 1] = boundary
    return e


def test_second_eigenvector_separates_two_flat_regions():
    e = two_region_edges()
    W = intervening_contour_affinity(e, radius=2, rho=0.1)
    vals, vecs = ncut_eigenvectors(W, 3)
    assert vals[0] == pytest.approx(0, abs=1e-6)
    # cutting 2 weak links per row (exp(-5)) is far cheaper than any cut inside a half
    assert vals[1] < 1e-2 < vals[2]
    v = vecs[:, 1].reshape(e.shape)
    left, right = v[:, :14], v[:, 18:]
    assert np.sign(left.mean()) != np.sign(right.mean())
    assert max(left.max(), right.max()) * min(left.min(), right.min()) < 0
    assert (left.max() < right.min()) or (right.max() < left.min())
    # the first (generalised) eigenvector is constant
    np.testing.assert_allclose(vecs[:, 0], vecs[0, 0], rtol=1e-4)


@pytest.mark.parametrize('method', ['lanczos', 'shift-invert'])
def test_ncut_eigenpairs_equal_a_dense_generalised_solve(method):
    # a random symmetric affinity on 60 nodes (every pair linked, weights in (0, 1]):
    # scipy.linalg.eigh(D - W, D) is the reference for both iterative solvers
    from scipy import sparse
    from scipy.linalg import eigh
    rng = np.random.RandomState(3)
    A = rng.uniform(0.01, 1, (60, 60))
    A = np.triu(A, 1) + np.triu(A, 1).T
    D = np.diag(A.sum(1))
    ref_vals, ref_vecs = eigh(D - A, D)
    vals, vecs = ncut_eigenvectors(sparse.csr_matrix(A), 5, tol=1e-10, method=method)
    np.testing.assert_allclose(vals, ref_vals[:5], atol=1e-8)
    for k in range(1, 5):  # same vectors up to sign (the eigenvalues are distinct)
        a, b = vecs[:, k], ref_vecs[:, k]
        assert abs(a @ D @ b) / np.sqrt((a @ D @ a) * (b @ D @ b)) == pytest.approx(1, abs=1e-6)
    with pytest.raises(ValueError, match='method'):
        ncut_eigenvectors(sparse.csr_matrix(A), 5, method='arpack')


def test_spectral_strengthens_the_boundary_not_isolated_clutter():
    e = two_region_edges()
    clutter = [(5, 5), (18, 8), (6, 24), (19, 27)]  # isolated dots as strong as the contour
    for y, x in clutter:
        e[y, x] = 0.5
    cfg = SpectralConfig(downsample=1, radius=2)
    s = spectral_signal(e, cfg)
    boundary = s[:, 15:17].mean()
    assert boundary > 4 * max(s[y, x] for y, x in clutter)  # measured 4.6x
    g = SpectralGlobalizer(cfg)(e)
    assert g.min() >= 0 and g.max() <= 1
    # before: contour == clutter (0.5); after: contour above clutter
    assert g[:, 15:17].mean() > 1.2 * max(g[y, x] for y, x in clutter)
    # the weighting: (1 - w) E + w sPb / max sPb
    np.testing.assert_allclose(g, 0.75 * e + 0.25 * s / s.max(), atol=1e-6)


def test_spectral_on_a_downsampled_map_keeps_the_size_and_finds_the_contour():
    e = two_region_edges(48, 64)
    s = spectral_signal(e, SpectralConfig(downsample=3, radius=2))
    assert s.shape == e.shape
    assert abs(int(np.argmax(s.mean(axis=0))) - 31.5) <= 3


def test_builder_spectral_option_is_recorded_and_changes_the_edges():
    rng = np.random.RandomState(0)
    image = np.zeros((40, 60, 3), np.uint8)
    image[:, 30:] = 200
    image = np.clip(image + rng.randint(0, 30, image.shape), 0, 255).astype(np.uint8)
    plain = HierarchyBuilder('gradient', long_side=None)
    spec = HierarchyBuilder('gradient', long_side=None, spectral=True)
    assert 'spectral' not in plain.config()  # older stores keep their identity
    assert spec.config()['spectral'] == SpectralConfig().__dict__
    t_plain, e_plain = plain.compute(image)
    t_spec, e_spec = spec.compute(image)
    assert not np.allclose(e_plain, e_spec)
    # both trees split the halves at their last merge
    for t in (t_plain, t_spec):
        assert t.num_regions >= 2
