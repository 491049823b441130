"""Hand-made cases of the BSDS500 benchmark pieces, expected values worked out by hand."""
import numpy as np
import pytest
from skimage.morphology import thin

from dense_ssl.evaluation.bsds import (
    BoundaryCounts,
    GroundTruth,
    collect_boundaries,
    collect_regions,
    correspond_pixels,
    evaluate_boundaries,
    evaluate_regions,
    rand_index_voi,
    region_tree_to_ucm2,
    seg_to_boundaries,
    thin_boundaries,
    thresholds,
    ucm2_to_pb,
    ucm2_to_segmentation,
    write_boundary_files,
    write_region_files,
)

N = 40
DIAG = np.hypot(N, N)


def hline(row, cols=slice(5, 35)):
    m = np.zeros((N, N), bool)
    m[row, cols] = True
    return m


@pytest.mark.parametrize('method', ['fast', 'exact'])
@pytest.mark.parametrize('shift, matched', [(0, True), (2, True), (3, True), (4, False)])
def test_shifted_line_matches_within_max_dist_only(method, shift, matched):
    # max distance 3 px: a copy 0-3 px away matches pixel for pixel, 4 px away not at all
    m1, m2 = correspond_pixels(hline(10 + shift), hline(10), max_dist=3 / DIAG, method=method)
    assert m1.sum() == m2.sum() == (30 if matched else 0)
    assert not (m1 & ~hline(10 + shift)).any() and not (m2 & ~hline(10)).any()


@pytest.mark.parametrize('method', ['fast', 'exact'])
def test_matching_is_one_to_one(method):
    # two machine lines 1 px apart around one human line: only 30 of the 60 can match
    m1, m2 = correspond_pixels(hline(9) | hline(11), hline(10), max_dist=3 / DIAG,
                               method=method)
    assert m2.sum() == 30 and m1.sum() == 30


@pytest.mark.parametrize('method', ['fast', 'exact'])
def test_matching_is_maximum_not_greedy(method):
    # human pixels at x = 10 and 12; machine at 11 and 13 (radius 1.5): the greedy pair
    # 11-12 would leave 13 alone; the maximum pairs 11-10 and 13-12.
    a, b = np.zeros((N, N), bool), np.zeros((N, N), bool)
    a[20, [11, 13]] = True
    b[20, [10, 12]] = True
    m1, m2 = correspond_pixels(a, b, max_dist=1.5 / DIAG, method=method)
    assert m1.sum() == m2.sum() == 2


def test_correspond_pixels_rejects_size_mismatch():
    with pytest.raises(ValueError, match='differ in size'):
        correspond_pixels(np.zeros((3, 4), bool), np.zeros((4, 3), bool))


@pytest.mark.parametrize('seed', range(4))
def test_thinning_equals_skimage(seed):
    rng = np.random.default_rng(seed)
    blobs = rng.random((60, 70)) > 0.55
    thick = np.zeros((60, 70), bool)
    thick[10:14, 5:65] = True
    thick[5:55, 30:33] = True
    for bmap in (blobs, thick, blobs | thick):
        np.testing.assert_array_equal(thin_boundaries(bmap), thin(bmap))


def test_region_measures_by_hand():
    # gt [1 1 2 2], machine [1 1 1 2]. Covering of the human regions: region 1 (area 2)
    # best IoU 2/3, region 2 (area 2) 1/2 -> (2 * 2/3 + 2 * 1/2) / 4 = 7/12. Rand index:
    # of the 6 pixel pairs, (0,1), (0,3), (1,3) agree -> 1/2. VoI = H(seg) + H(gt) - 2 I
    # = 0.811278 + 1 - 2 * 0.311278 = 1.188722 bits.
    gt = GroundTruth([np.array([[1, 1, 2, 2]])], [np.zeros((1, 4), bool)])
    seg = np.array([[1, 1, 1, 2]])
    c = evaluate_regions(gt, segs=[seg])
    assert c.cnt_r[0] / c.sum_r[0] == pytest.approx(7 / 12)
    # covering of the machine by the human: region 1 (area 3) 2/3, region 2 (area 1) 1/2
    assert c.cnt_p[0] / c.sum_p[0] == pytest.approx((3 * 2 / 3 + 1 / 2) / 4)
    assert c.ri[0] == pytest.approx(0.5)
    assert c.voi[0] == pytest.approx(1.188722, abs=1e-6)
    assert rand_index_voi(np.array([[2, 0], [0, 2]])) == pytest.approx((1.0, 0.0))


def test_region_collect_picks_best_threshold():
    gt = GroundTruth([np.array([[1, 1, 2, 2]])], [np.zeros((1, 4), bool)])
    segs = [np.array([[1, 1, 1, 1]]), np.array([[1, 1, 2, 2]])]
    res = collect_regions([evaluate_regions(gt, segs=segs)])
    assert (res.cover_t, res.cover_ods, res.cover_best) == (2, 1.0, 1.0)
    assert (res.pri_t, res.pri_ods, res.voi_t, res.voi_ods) == (2, 1.0, 2, 0.0)


def _counts(cnt_r, sum_r, cnt_p, sum_p):
    return BoundaryCounts(np.array([0.25, 0.5, 0.75]), *(np.array(v, float) for v in
                                                         (cnt_r, sum_r, cnt_p, sum_p)))


def test_ods_ois_ap_by_hand():
    # Image A: R = .8 .6 .2, P = .5 .9 1 (best F .72 at t 2); image B: R = .5 .4 .1,
    # P = .5 .8 1 (best F .533 at t 2). OIS pools the counts at those thresholds:
    # R = 10/20, P = 17/20, F = 2 * .5 * .85 / 1.35.
    a = _counts([8, 6, 2], [10] * 3, [8, 9, 4], [16, 10, 4])
    b = _counts([5, 4, 1], [10] * 3, [5, 8, 2], [10, 10, 2])
    res = collect_boundaries([a, b])
    assert (res.ois_r, res.ois_p) == pytest.approx((0.5, 0.85))
    assert res.ois_f == pytest.approx(2 * 0.5 * 0.85 / 1.35)
    np.testing.assert_allclose(res.per_threshold[:, 1], [13 / 20, 10 / 20, 3 / 20])
    np.testing.assert_allclose(res.per_threshold[:, 2], [13 / 26, 17 / 20, 6 / 6])
    assert res.per_image[:, 0].tolist() == [1, 2]
    # ODS: on the interpolated curve, at least the best threshold's F
    assert res.ods_f >= 2 * 0.5 * 0.85 / 1.35 - 1e-12
    assert 0.25 <= res.ods_t <= 0.75


def test_ods_and_ap_with_constant_precision():
    # P = .5 everywhere, R = .905 .505 .105: F grows with R, so ODS is the first
    # threshold; AP = .5 at the 80 recall steps .11 .. .90, 0 elsewhere -> 0.4.
    c = _counts([181, 101, 21], [200] * 3, [50, 30, 10], [100, 60, 20])
    res = collect_boundaries([c])
    assert (res.ods_t, res.ods_r, res.ods_p) == pytest.approx((0.25, 0.905, 0.5))
    assert res.ods_f == pytest.approx(2 * 0.905 * 0.5 / 1.405)
    assert res.ois_f == pytest.approx(res.ods_f)
    assert res.ap == pytest.approx(0.4)


def test_thresholds_as_the_benchmark():
    np.testing.assert_allclose(thresholds(5), [1 / 6, 2 / 6, 3 / 6, 4 / 6, 5 / 6])


def test_seg_to_boundaries_marks_upper_left_pixel():
    left_right = np.array([[1, 1, 2, 2]] * 4)
    want = np.zeros((4, 4), bool)
    want[:, 1] = True
    np.testing.assert_array_equal(seg_to_boundaries(left_right), want)
    np.testing.assert_array_equal(seg_to_boundaries(left_right.T), want.T)


def test_region_tree_ucm2_round_trip():
    # a 2x2 region 1 inside a ring of region 0, merged at height .6
    labels = np.zeros((4, 4), int)
    labels[1:3, 1:3] = 1
    ucm2 = region_tree_to_ucm2(labels, np.array([[0, 0.6], [0.6, 0]]))
    assert ucm2.shape == (9, 9)
    assert ucm2[1::2, 1::2].max() == 0  # pixel sites carry no boundary
    want_pb = np.array([[.6, .6, .6, 0], [.6, 0, .6, 0], [.6, .6, .6, 0], [0, 0, 0, 0]])
    np.testing.assert_allclose(ucm2_to_pb(ucm2), want_pb)
    below = ucm2_to_segmentation(ucm2, 0.5)
    assert len(np.unique(below)) == 2
    np.testing.assert_array_equal(below == below[1, 1], labels == 1)
    assert len(np.unique(ucm2_to_segmentation(ucm2, 0.7))) == 1


def test_evaluate_boundaries_soft_map_and_segs_agree():
    # a soft map that is 1 on the human boundary: perfect at every threshold; the same
    # boundary from a segmentation likewise
    seg = np.ones((N, N), int)
    seg[20:] = 2
    bdry = seg_to_boundaries(seg)
    gt = GroundTruth([seg], [bdry])
    c = evaluate_boundaries(gt, pb=bdry.astype(float), nthresh=5)
    np.testing.assert_array_equal(c.cnt_r, c.sum_r)
    np.testing.assert_array_equal(c.cnt_p, c.sum_p)
    s = evaluate_boundaries(gt, segs=[seg])
    assert s.cnt_r[0] == s.sum_r[0] == s.cnt_p[0] == s.sum_p[0] == N
    with pytest.raises(ValueError, match='exactly one'):
        evaluate_boundaries(gt)


def _rows(path):
    with open(path) as f:
        return [line.split() for line in f]


def test_official_files_written_and_parsed_back(tmp_path):
    a = _counts([8, 6, 2], [10] * 3, [8, 9, 4], [16, 10, 4])
    bdry = collect_boundaries([a, a])
    write_boundary_files(str(tmp_path), bdry)
    gt = GroundTruth([np.array([[1, 1, 2, 2]])], [np.zeros((1, 4), bool)])
    reg = collect_regions([evaluate_regions(gt, segs=[np.array([[1, 1, 1, 2]])])] * 3)
    write_region_files(str(tmp_path), reg)
    shapes = {'eval_bdry.txt': (1, 8), 'eval_bdry_img.txt': (2, 5), 'eval_bdry_thr.txt': (3, 4),
              'eval_cover.txt': (1, 4), 'eval_cover_img.txt': (3, 4), 'eval_cover_th.txt': (1, 2),
              'eval_RI_VOI.txt': (1, 6), 'eval_RI_VOI_thr.txt': (1, 3)}
    for name, (rows, cols) in shapes.items():
        parsed = _rows(tmp_path / name)
        assert len(parsed) == rows and all(len(r) == cols for r in parsed), name
    # '%10g' as the MATLAB fprintf: 6 significant digits, right-aligned in 10 columns
    line = (tmp_path / 'eval_bdry.txt').read_text()
    assert line == ''.join('%10g ' % v for v in (
        bdry.ods_t, bdry.ods_r, bdry.ods_p, bdry.ods_f, bdry.ois_r, bdry.ois_p, bdry.ois_f,
        bdry.ap))[:-1] + '\n'
    assert _rows(tmp_path / 'eval_bdry_img.txt')[1][0] == '2'  # 1-based image index
    vals = np.loadtxt(tmp_path / 'eval_RI_VOI.txt')
    np.testing.assert_allclose(vals, [1, 0.5, 0.5, 1, 1.188722, 1.188722], atol=1e-5)
    np.testing.assert_allclose(np.loadtxt(tmp_path / 'eval_cover.txt'),
                               [1, 7 / 12, 7 / 12, 7 / 12], atol=1e-5)


def test_region_tree_ucm2_keeps_border_regions_apart():
    # left / right halves touching the border: a frame of zeros would join them
    labels = np.zeros((4, 6), int)
    labels[:, 3:] = 1
    ucm2 = region_tree_to_ucm2(labels, np.array([[0, 0.4], [0.4, 0]]))
    np.testing.assert_array_equal(ucm2_to_segmentation(ucm2, 0.3) == 1, labels == 0)
    assert len(np.unique(ucm2_to_segmentation(ucm2, 0.5))) == 1
    # the boundary reaches the last row, as seg2bdry marks it
    np.testing.assert_array_equal(ucm2_to_pb(ucm2) > 0, seg_to_boundaries(labels))


def test_tree_ucm2_frame_keeps_regions_that_touch_the_border_apart():
    # The frame carries the boundaries as gPb's ucm2 files do (ucm2[0, 14] == ucm2[1, 14]):
    # an open frame would 8-connect every two regions touching the border.
    labels = np.array([[0, 0, 1, 1], [0, 0, 1, 1], [2, 2, 2, 2]])
    dist = np.array([[0, .5, 1], [.5, 0, 1], [1, 1, 0]])
    u = region_tree_to_ucm2(labels, dist)
    assert u[0, 4] == 0.5 and u[4, 0] == 1 and u[4, -1] == 1
    assert u[0, 3] == 0 and u[0, 0] == 0  # above a pixel / a corner: no boundary
    # below both heights: three regions; the open frame joins them all through the border
    assert len(np.unique(ucm2_to_segmentation(u, 0.4))) == 3
    open_frame = region_tree_to_ucm2(labels, dist)
    open_frame[0], open_frame[-1], open_frame[:, 0], open_frame[:, -1] = 0, 0, 0, 0
    assert len(np.unique(ucm2_to_segmentation(open_frame, 0.4))) == 1
    assert len(np.unique(ucm2_to_segmentation(u, 0.7))) == 2


def test_tree_of_a_ucm_keeps_its_regions_and_their_order():
    # three regions: A (left half), B (top right), C (bottom right); A | BC at .8, B | C at .3
    from dense_ssl.evaluation.bsds_run import tree_ucm2_of_map
    from dense_ssl.grouping import HierarchyBuilder
    labels = np.zeros((30, 40), int)
    labels[:15, 20:], labels[15:, 20:] = 1, 2
    dist = np.array([[0, .8, .8], [.8, 0, .3], [.8, .3, 0]])
    pb = ucm2_to_pb(region_tree_to_ucm2(labels, dist))
    builder = HierarchyBuilder(long_side=None, min_region_frac=0, normalize='image')
    out = tree_ucm2_of_map(pb, builder)
    assert out.shape == (61, 81) and out.max() == pytest.approx(1.0)  # normalised heights

    def same_partition(a, b):
        pairs = set(zip(a.ravel().tolist(), b.ravel().tolist()))
        return len(pairs) == len(np.unique(a)) == len(np.unique(b))

    # finest level: the three regions, up to the boundary pixels the watershed assigns
    fine = ucm2_to_segmentation(out, 1e-6)
    inner = np.ones_like(labels, bool)
    inner[:, 18:22], inner[13:17, 20:] = False, False
    assert len(np.unique(fine)) == 3 and same_partition(fine[inner], labels[inner])
    # B and C merge first (the weaker contour), then everything
    b_c = out[2 * 15, 2 * 30 + 1]  # the doubled-grid site between rows 14 and 15 at column 30
    assert 0 < b_c < 1
    mid = ucm2_to_segmentation(out, (b_c + 1) / 2)
    assert same_partition(mid[inner], np.minimum(labels, 1)[inner])
    assert len(np.unique(ucm2_to_segmentation(out, 1.0))) == 1
    # a long side below the map's shrinks it: the tree comes back at the map's size
    small = tree_ucm2_of_map(pb, HierarchyBuilder(long_side=20, min_region_frac=0))
    assert small.shape == (61, 81) and len(np.unique(ucm2_to_segmentation(small, 1e-6))) == 3
