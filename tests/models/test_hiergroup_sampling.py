"""HG pixel sampling against eq. 2 and 3 of the paper, worked by hand."""
import pytest
import torch
from scipy.stats import chisquare

from dense_ssl.models.sampling import (
    HierarchySampler,
    choose_anchor_regions,
    collect_hg_targets,
    negative_probs,
    positive_probs,
    reference_indices,
    region_counts,
    sample_in_regions,
)

# Hand-made tree: regions 0 and 1 merge at 0.2, then with 2 at 0.9.
DIST = torch.tensor([[0.0, 0.2, 0.9], [0.2, 0.0, 0.9], [0.9, 0.9, 0.0]])
SIGMA = 0.8
# Eq. 2, self term cast to 1. Anchor in region 0:
#   weights 1, e^{-0.2/0.8} = 0.778801, e^{-0.9/0.8} = 0.324652; sum 2.103453
POS = torch.tensor([
    [0.475409, 0.370249, 0.154343],  # anchor region 0
    [0.370249, 0.475409, 0.154343],  # anchor region 1 (symmetric)
    [0.196842, 0.196842, 0.606316],  # region 2: e^-1.125 twice and 1
])
# Eq. 3: own region excluded; anchor 0: e^{0.25} = 1.284025,
#   e^{1.125} = 3.080217, sum 4.364242. Anchor 2: regions 0, 1 tie.
NEG = torch.tensor([[0.0, 0.294215, 0.705785], [0.294215, 0.0, 0.705785],
                    [0.5, 0.5, 0.0]])


def three_region_batch(n: int):
    """n identical 12 x 12 images: region 0 = 6 columns, 1 = 3, 2 = 3."""
    cols = torch.tensor([0] * 6 + [1] * 3 + [2] * 3)
    labels = cols.expand(12, 12).expand(n, 2, 12, 12).clone()
    dist = DIST.expand(n, 3, 3).clone()
    valid = torch.ones(n, 3, dtype=torch.bool)
    boxes = torch.tensor([0.0, 0.0, 12.0, 12.0]).expand(n, 2, 4).clone()
    flips = torch.zeros(n, 2, dtype=torch.bool)
    return labels, dist, valid, boxes, flips


def expected(probs: torch.Tensor, n: int):
    """Counts for chi-square (the literals above are rounded to 1e-6)."""
    probs = probs.double()
    return (probs / probs.sum() * n).numpy()


def test_probabilities_equal_hand_worked_numbers():
    present = torch.ones(1, 3, dtype=torch.bool)
    anchors = torch.tensor([[0, 1, 2]])
    pos = positive_probs(DIST[None], present, anchors, SIGMA)[0]
    neg, has_neg = negative_probs(DIST[None], present, anchors, SIGMA)
    torch.testing.assert_close(pos, POS, atol=2e-6, rtol=0)
    torch.testing.assert_close(neg[0], NEG, atol=2e-6, rtol=0)
    assert has_neg.all()


def test_probabilities_only_over_present_regions():
    present = torch.tensor([[True, False, True]])
    pos = positive_probs(DIST[None], present, torch.tensor([[0]]), SIGMA)
    # 1 / (1 + 0.324652) and 0.324652 / 1.324652
    torch.testing.assert_close(pos[0, 0], torch.tensor([0.754915, 0, 0.245085]),
                               atol=2e-6, rtol=0)
    neg, _ = negative_probs(DIST[None], present, torch.tensor([[0]]), SIGMA)
    assert neg[0, 0].tolist() == [0.0, 0.0, 1.0]
    alone = torch.tensor([[True, False, False]])
    neg, has_neg = negative_probs(DIST[None], alone, torch.tensor([[0]]),
                                  SIGMA)
    assert not has_neg.any() and neg.sum() == 0


def test_empirical_frequencies_follow_eq2_and_eq3():
    """Region-level reading: frequencies ignore region sizes (6 vs 3 px)."""
    g = torch.Generator().manual_seed(0)
    sampler = HierarchySampler(num_regions=3, num_pos=40, num_neg=40,
                               num_cns=1, sigma_p=SIGMA)
    labels, dist, valid, boxes, flips = three_region_batch(150)
    s = sampler(labels, dist, valid, boxes, flips, generator=g)
    flat = labels[:, 0].reshape(150, -1)
    for a in range(3):
        rows = s.anchor_region == a
        assert rows.sum() == 150  # each image uses each region once
        pos = torch.bincount(s.pos_region[rows].flatten(), minlength=3)
        neg = torch.bincount(s.neg_region[rows].flatten(), minlength=3)
        assert neg[a] == 0  # the anchor's own region is never a negative
        n = pos.sum().item()
        assert chisquare(pos.numpy(), expected(POS[a], n)).pvalue > 1e-3
        others = [m for m in range(3) if m != a]
        assert chisquare(neg[others].numpy(),
                         expected(NEG[a, others], n)).pvalue > 1e-3
    # Every pixel lies in the region it was drawn for.
    for pix, reg in ((s.anchor, s.anchor_region), (s.pos, s.pos_region),
                     (s.neg, s.neg_region)):
        got = flat.gather(1, pix.reshape(150, -1)).view_as(reg)
        assert torch.equal(got, reg)


def test_pixels_uniform_within_region():
    g = torch.Generator().manual_seed(1)
    flat = torch.tensor([[2, 0, 1, 0, 2, 0, 1, 0, 0, 2]])
    counts = region_counts(flat, 3)
    assert counts.tolist() == [[5, 2, 3]]
    regions = torch.full((1, 6000), 0)
    pix = sample_in_regions(flat, counts, regions, g)
    hist = torch.bincount(pix.flatten(), minlength=10)
    assert set(torch.nonzero(hist).flatten().tolist()) == {1, 3, 5, 7, 8}
    assert chisquare(hist[[1, 3, 5, 7, 8]].numpy()).pvalue > 1e-3


def test_anchor_regions_distinct_then_repeated():
    g = torch.Generator().manual_seed(2)
    present = torch.tensor([[True] * 9 + [False], [True, False, True] + [
        False] * 7])
    regions = choose_anchor_regions(present, 7, g)
    assert len(set(regions[0].tolist())) == 7
    assert present[0, regions[0]].all()
    # Only two present: they alternate in one random order.
    r = regions[1].tolist()
    assert set(r) == {0, 2} and r[0] != r[1] and r[::2] == [r[0]] * 4


def test_cross_image_negatives_come_from_other_images():
    g = torch.Generator().manual_seed(3)
    labels, dist, valid, boxes, flips = three_region_batch(4)
    s = HierarchySampler(num_cns=20)(labels, dist, valid, boxes, flips,
                                     cns_views=(1, ), generator=g)
    own = torch.arange(4).view(4, 1, 1)
    assert (s.cns_img != own).all() and (s.cns_view == 1).all()
    assert s.cns_valid.all() and set(s.cns_img.unique().tolist()) == {
        0, 1, 2, 3}
    one = HierarchySampler()(*three_region_batch(1), generator=g)
    assert not one.cns_valid.any()


def test_reference_rows_of_the_embedding_table():
    """Row (b * V + v) * P + p of a table whose entries encode (b, v, p)."""
    g = torch.Generator().manual_seed(4)
    labels, dist, valid, boxes, flips = three_region_batch(2)
    boxes[:, 1] = torch.tensor([6.0, 0.0, 18.0, 12.0])  # view 2 shifted
    s = HierarchySampler(num_pos=4, num_neg=3, num_cns=2)(
        labels, dist, valid, boxes, flips, generator=g)
    b, v, p = torch.meshgrid(torch.arange(2), torch.arange(2),
                             torch.arange(144), indexing='ij')
    table = torch.stack([b, v, p], -1).reshape(-1, 3)
    anchor, pos, pos_mask, neg, neg_mask = reference_indices(s, 2, 144)
    img = torch.arange(2).repeat_interleave(7)
    assert torch.equal(table[anchor][:, 0], img)
    assert torch.equal(table[anchor][:, 2], s.anchor.flatten())
    assert torch.equal(table[pos][:, :4, 2], s.pos.reshape(14, 4))
    assert (table[pos][:, :4, 1] == 0).all() and (table[pos][:, 4:, 1]
                                                  == 1).all()
    assert torch.equal(pos_mask[:, 4:], s.pos_aug_valid.reshape(14, 4))
    assert torch.equal(table[neg][:, 6:, 0], s.cns_img.reshape(14, 2))
    assert neg_mask.shape == (14, 8)
    # Columns 0-5 of view 1 are outside view 2's crop (x >= 6).
    col = s.pos % 12
    assert torch.equal(s.pos_aug_valid, col >= 6)


def test_collect_targets_pads_and_checks(hg_batch):
    _, samples = hg_batch
    t = collect_hg_targets(samples, torch.device('cpu'))
    assert t.dist.shape == (2, 12, 12)
    assert t.dist_valid.sum(1).tolist() == [12, 6]
    assert (t.dist[1, 6:] == 0).all() and t.labels.shape == (2, 2, 64, 64)
    g = torch.Generator().manual_seed(5)
    s = HierarchySampler(num_regions=7)(t.labels, t.dist, t.dist_valid,
                                        t.boxes, t.flips, generator=g)
    for reg in (s.anchor_region, s.pos_region, s.neg_region):
        assert (reg[1] < 6).all()
    samples[1].hg_labels[0, 0, 0] = 6
    with pytest.raises(ValueError, match='outside 0..R-1'):
        collect_hg_targets(samples, torch.device('cpu'))
    del samples[0].hg_boxes
    with pytest.raises(ValueError, match=r"lacks \['hg_boxes'\]"):
        collect_hg_targets(samples, torch.device('cpu'))
