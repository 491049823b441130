"""The dense probes on hand-made features whose answers are worked out by hand."""
import numpy as np
import pytest
import torch

from dense_ssl.evaluation import dense_probe as dp


def test_miou_with_ignore_index_by_hand():
    gt = np.array([[0, 0, 1, 1], [255, 1, 1, 0]])
    pred = np.array([[0, 1, 1, 1], [0, 1, 0, 0]])
    # pixel (1, 0) is ignored. class 0: gt {00, 01, 13}, pred {00, 12, 13}:
    # 2 / 4. class 1: gt {02, 03, 11, 12}, pred {01, 02, 03, 11}: 3 / 5.
    assert dp.miou([pred], [gt], 2, ignore_index=255) == pytest.approx(
        (0.5 + 0.6) / 2)
    # without ignoring, 255 is outside the classes and still left out
    assert dp.miou([pred], [gt], 2, ignore_index=None) == pytest.approx(0.55)


def test_cell_histograms_share_and_ignored_cells():
    labels = torch.tensor([[[0, 1, 255, 255], [1, 1, 255, 255]]])
    hist = dp.cell_histograms(labels, (1, 2), 2, ignore_index=255)
    # left 2x2 cell: one 0, three 1; right cell all ignored -> zeros
    assert hist[0, :, 0, 0].tolist() == [0.25, 0.75]
    assert hist[0, :, 0, 1].tolist() == [0.0, 0.0]


def _stripes(columns, cell=4):
    """Labels constant per column of cells, features = one-hot of the label
    per cell (1 x len(columns) grid of ``cell`` px, rows of cells: 2)."""
    cols = torch.tensor(columns)
    labels = cols.repeat_interleave(cell)[None, None].expand(1, 2 * cell, -1)
    feats = torch.nn.functional.one_hot(cols, 3).t().float()
    feats = feats[None, :, None, :].expand(1, 3, 2, -1)
    return feats, labels.clone()


def test_linear_probe_on_separable_features_reaches_miou_1():
    pairs = [_stripes(c) for c in ([0, 0, 1, 2], [2, 1, 1, 0], [1, 2, 0, 0])]
    tr_f = torch.cat([f for f, _ in pairs[:2]])
    tr_l = torch.cat([lab for _, lab in pairs[:2]])
    va_f, va_l = pairs[2]
    out = dp.linear_probe(tr_f, tr_l, va_f, va_l, 3)
    assert out['train_miou'] == 1.0
    assert out['miou'] == 1.0
    assert out['pred'].shape == (1, 8, 16)


def _bank():
    """Three train cells of 5x5 px: A = [1, 0] all class 0; B = [0.6, 0.8]
    10 px class 1 + 15 px class 2; C = [0, 1] all class 2."""
    feats = torch.tensor([[1.0, 0.6, 0.0], [0.0, 0.8, 1.0]])[None, :, None, :]
    labels = torch.zeros(1, 5, 15, dtype=torch.long)
    labels[0, :2, 5:10] = 1
    labels[0, 2:, 5:10] = 2
    labels[0, :, 10:] = 2
    return feats, labels


@pytest.mark.parametrize('k,temperature,expected', [
    # q = [0.8, 0.6]: cosine to A 0.8, B 0.96, C 0.6.
    (1, 0.1, 2),   # B alone: histogram (0, 0.4, 0.6) -> 2
    # k = 2 (B, A), T = 0.1: weights softmax(9.6, 8.0) = (0.832, 0.168):
    # scores (0.168, 0.333, 0.499) -> 2
    (2, 0.1, 2),
    # T = 10: weights softmax(0.096, 0.080) = (0.504, 0.496): scores
    # (0.496, 0.202, 0.302) -> 0
    (2, 10.0, 0),
    # k = 3, T = 10: weights ~ (0.338, 0.333, 0.329) for B, A, C: scores
    # (0.333, 0.135, 0.532) -> 2
    (3, 10.0, 2),
])
def test_nn_retrieval_labels_worked_out_by_hand(k, temperature, expected):
    feats, labels = _bank()
    query = torch.tensor([0.8, 0.6]).view(1, 2, 1, 1)
    val_labels = torch.full((1, 2, 2), expected)
    out = dp.nn_retrieval(feats, labels, query, val_labels, 3, k=k,
                          temperature=temperature)
    assert (out['pred'] == expected).all()
    assert out['miou'] == 1.0


def test_nn_retrieval_leaves_all_ignored_cells_out_of_the_bank():
    feats, labels = _bank()
    labels[0, :, :5] = 255  # cell A (nearest to the query below) ignored
    query = torch.tensor([1.0, 0.0]).view(1, 2, 1, 1)
    out = dp.nn_retrieval(feats, labels, query, torch.zeros(1, 2, 2,
                                                            dtype=torch.long),
                          3, k=1)
    assert (out['pred'] == 2).all()  # B, not A


@pytest.mark.parametrize('standardize', [False, True])
def test_kmeans_grouping_of_two_regions(standardize):
    g = torch.Generator().manual_seed(0)
    emb = torch.empty(3, 6, 8)
    emb[:, :, :3] = torch.tensor([1.0, 0.2, 0.0]).view(3, 1, 1)
    emb[:, :, 3:] = torch.tensor([0.0, 0.3, 1.0]).view(3, 1, 1)
    emb += 0.01 * torch.randn(emb.shape, generator=g)
    seg = dp.kmeans_grouping(emb, 2, standardize=standardize)
    assert seg.shape == (6, 8)
    left, right = seg[:, :3], seg[:, 3:]
    assert (left == left[0, 0]).all() and (right == right[0, 0]).all()
    assert left[0, 0] != right[0, 0]


def test_lab_position_features_shape_and_position_channels():
    img = np.zeros((10, 20, 3), np.uint8)
    feat = dp.lab_position_features(img, 5)
    assert feat.shape == (5, 2, 4)
    assert torch.allclose(feat[0], torch.zeros(2, 4), atol=1e-4)  # L of black
    # x of the cell centres: (2, 7, 12, 17) px * 100 / 20
    assert torch.allclose(feat[3, 0], torch.tensor([10., 35., 60., 85.]))
