"""Segment prototypes, retrieval and k-NN votes on hand-made embeddings."""
import math

import numpy as np
import pytest
import torch

from dense_ssl.applications.metrics import confusion_matrix, iou_from_confusion
from dense_ssl.applications.segment_retrieval import (
    SegmentBank,
    bank_from_image,
    kmeans_segments,
    paint,
    predict_image,
    retrieve,
    segment_labels,
    segment_prototypes,
    vote,
)


def angle(deg):
    return [math.cos(math.radians(deg)), math.sin(math.radians(deg))]


def test_prototypes_are_normalised_means():
    # 2-d features on a 2 x 3 image; segment -1 is skipped
    emb = torch.tensor([[[1., 3., 0.], [1., 9., 9.]],
                        [[0., 0., 1.], [1., 9., 9.]]])
    seg = torch.tensor([[0, 0, 5], [5, -1, -1]])
    protos, ids = segment_prototypes(emb, seg)
    assert ids.tolist() == [0, 5]
    # segment 0: mean((1, 0), (3, 0)) = (2, 0) -> (1, 0)
    # segment 5: mean((0, 1), (1, 1)) = (0.5, 1) -> (1, 2) / sqrt(5)
    expected = torch.tensor([[1., 0.], [1 / 5 ** .5, 2 / 5 ** .5]])
    torch.testing.assert_close(protos, expected)


def test_segment_labels_majority_ignore_and_unlabelled():
    seg = torch.tensor([[0, 0, 0, 1], [1, 1, 2, 2]])
    gt = torch.tensor([[3, 3, 1, 255], [255, 2, 255, 255]])
    labels = segment_labels(seg, gt, torch.tensor([0, 1, 2]), num_classes=4)
    # seg 0: {3, 3, 1} -> 3; seg 1: {2} (255s do not vote); seg 2: none
    assert labels.tolist() == [3, 2, -1]
    bank = bank_from_image(torch.randn(5, 2, 4), seg, gt, 4)
    assert bank.labels.tolist() == [3, 2]  # the unlabelled segment dropped
    assert bank.prototypes.shape == (2, 5)


def test_knn_majority_differs_from_top1():
    # database directions 0, 10, 20, 90 degrees, labelled 0, 1, 1, 2;
    # the query at 4 degrees is nearest to 0 deg, its next two are label 1
    db = torch.tensor([angle(0), angle(10), angle(20), angle(90)])
    labels = torch.tensor([0, 1, 1, 2])
    q = torch.tensor([angle(4)]) * 7  # scale does not matter (cosine)
    sims, idx = retrieve(q, db, k=3)
    assert idx.tolist() == [[0, 1, 2]]
    torch.testing.assert_close(
        sims, torch.tensor([[math.cos(math.radians(d)) for d in (4, 6, 16)]]))
    assert vote(*retrieve(q, db, 1), labels, 3).tolist() == [0]
    assert vote(sims, idx, labels, 3).tolist() == [1]  # 2 votes to 1
    # k = 2: one vote each, label 0 has the larger similarity (cos 4 > 6)
    assert vote(*retrieve(q, db, 2), labels, 3).tolist() == [0]


def test_paint_and_predict_image():
    seg = torch.tensor([[0, 0, 7], [7, 7, -1]])
    out = paint(seg, torch.tensor([0, 7]), torch.tensor([4, 2]))
    assert out.tolist() == [[4, 4, 2], [2, 2, 255]]
    # query segments point at 80 and 5 degrees; database at 0 (label 1) and
    # 90 degrees (label 3)
    emb = torch.tensor([angle(80), angle(80), angle(5), angle(5), angle(5),
                        angle(5)]).t().reshape(2, 2, 3)
    bank = SegmentBank(torch.tensor([angle(0), angle(90)]),
                       torch.tensor([1, 3]))
    pred = predict_image(emb, seg, bank, num_classes=4)
    assert pred.tolist() == [[3, 3, 1], [1, 1, 255]]


def two_cluster_embedding(gen):
    """(2, 8, 8): left half near 0 degrees, right half near 90 degrees."""
    theta = torch.rand(8, 8, generator=gen) * 10
    theta[:, 4:] += 80
    rad = torch.deg2rad(theta)
    return torch.stack([rad.cos(), rad.sin()])


def test_kmeans_splits_obvious_clusters():
    gen = torch.Generator().manual_seed(0)
    seg = kmeans_segments(two_cluster_embedding(gen), 2, generator=gen)
    left, right = seg[:, :4], seg[:, 4:]
    assert left.unique().numel() == 1 and right.unique().numel() == 1
    assert left[0, 0] != right[0, 0]
    # more clusters than pixels: at most one per pixel
    assert kmeans_segments(torch.randn(3, 2, 2), 15).unique().numel() <= 4


def test_protocol_on_coloured_regions_gives_miou_1():
    """Paper protocol end to end: K-means segments on both images, labelled
    database prototypes, nearest-segment labels painted on the query.

    Database and query hold the same three region 'colours' (directions 0,
    45 and 90 degrees, +-3 degrees of noise) in a different layout, so every
    query segment's nearest database segment has its class: mIoU = 1.
    """
    gen = torch.Generator().manual_seed(1)

    def image(layout):
        lab = torch.tensor(layout).repeat_interleave(4, 0).repeat_interleave(
            4, 1)
        theta = lab.float() * 45 + (torch.rand(lab.shape, generator=gen) *
                                    6 - 3)
        rad = torch.deg2rad(theta)
        return torch.stack([rad.cos(), rad.sin()]), lab

    db_emb, db_gt = image([[0, 0, 1], [2, 2, 1]])
    q_emb, q_gt = image([[2, 1, 1], [0, 0, 0]])
    bank = bank_from_image(db_emb, kmeans_segments(db_emb, 3,
                                                   generator=gen), db_gt, 3)
    assert sorted(bank.labels.tolist()) == [0, 1, 2]
    pred = predict_image(q_emb, kmeans_segments(q_emb, 3, generator=gen),
                         bank, 3)
    res = iou_from_confusion(confusion_matrix(pred.numpy(), q_gt.numpy(), 3))
    assert res['miou'] == pytest.approx(1.0)
    # a wrong database (labels rotated) drops every class to IoU 0
    wrong = SegmentBank(bank.prototypes, (bank.labels + 1) % 3)
    pred = predict_image(q_emb, kmeans_segments(q_emb, 3, generator=gen),
                         wrong, 3)
    res = iou_from_confusion(confusion_matrix(pred.numpy(), q_gt.numpy(), 3))
    np.testing.assert_allclose(res['iou'], 0.0)
