"""Share of correct mutual matches on view pairs of known geometry."""
import numpy as np
import torch

from dense_ssl.evaluation.correspondence_share import (
    correspondence_share,
    match_counts,
    sample_view_pair,
)


def _onehot(cells):
    """(C=4, 2, 2) map whose cell (r, c) is one-hot at cells[r][c]."""
    out = torch.zeros(4, 2, 2)
    for r in range(2):
        for c in range(2):
            out[cells[r][c], r, c] = 1
    return out


FULL = (0, 0, 8, 8, False)
FLIPPED = (0, 0, 8, 8, True)
# photo cell id r * 2 + c of the view's cell (r, c)
SAME = [[0, 1], [2, 3]]
MIRRORED = [[1, 0], [3, 2]]


def test_flipped_view_with_features_that_follow_the_photo():
    # view 2 is view 1 mirrored: its cell (r, c) shows photo cell (r, 1 - c)
    assert match_counts(_onehot(SAME), _onehot(MIRRORED), (FULL, FLIPPED),
                        8) == (4, 4)


def test_flipped_view_with_features_that_follow_the_view():
    # features that only encode the position in the view match (r, c) to
    # (r, c): in the photo those are mirror images, all wrong
    assert match_counts(_onehot(SAME), _onehot(SAME), (FULL, FLIPPED),
                        8) == (4, 0)


def test_threshold_drops_weak_matches():
    f = _onehot(SAME)
    assert match_counts(f, f, (FULL, FULL), 8, threshold=0.5) == (4, 4)
    assert match_counts(f, 0.1 * f + 0.3, (FULL, FULL), 8,
                        threshold=0.9) == (0, 0)


def test_shifted_crop_matches_the_overlap():
    # photo 8 x 16 of 2 x 4 cells; view 1 = its left half, view 2 = the
    # 8 x 8 crop 4 px (one cell) to the right. Features: one-hot of the
    # photo cell (6 ids): view 1 shows ids 0 1 / 2 3, view 2 ids 1 4 / 3 5.
    f1, f2 = torch.zeros(6, 2, 2), torch.zeros(6, 2, 2)
    for ids, f in (([[0, 1], [2, 3]], f1), ([[1, 4], [3, 5]], f2)):
        for r in range(2):
            for c in range(2):
                f[ids[r][c], r, c] = 1
    # mutual nearest neighbours: id 1 <-> id 1 and id 3 <-> id 3; cells
    # with no counterpart have all-zero similarities, take index 0 of the
    # other view and are not mutual (that cell prefers its real twin)
    assert match_counts(f1, f2, ((0, 0, 8, 8, False), (0, 4, 8, 8, False)),
                        8) == (2, 2)


def test_sample_view_pair_overlaps_and_stays_inside():
    rng = np.random.default_rng(0)
    for _ in range(20):
        for top, left, ch, cw, _flip in sample_view_pair(60, 80, rng):
            assert 0 <= top and top + ch <= 60 and 0 <= left
            assert left + cw <= 80


def test_correspondence_share_of_position_encoding_features():
    # a photo whose colour encodes the position; the "features" are the
    # per-cell mean colour minus the photo mean, so nearest = same place
    h = w = 64
    ys, xs = np.mgrid[0:h, 0:w]
    photo = np.stack([xs * 4, ys * 4, np.full_like(xs, 128)], -1).astype(
        np.uint8)

    def features(views):
        pooled = torch.nn.functional.avg_pool2d(views, 16)
        return pooled - torch.tensor([126., 126., 128.]).view(1, 3, 1, 1)

    out = correspondence_share(features, [photo] * 4, size=64, seed=0)
    assert out['matches'] > 0
    assert 0.0 <= out['share'] <= 1.0
    assert out['correct'] == round(out['share'] * out['matches'])
