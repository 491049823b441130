"""Augmented references: a view-1 pixel found again in view 2."""
import torch

from dense_ssl.models.sampling import (
    HierarchySampler,
    collect_hg_targets,
    downsample_labels,
    grid_to_image,
    map_between_views,
)

# 4 x 4 grid. View 1: box (0, 0, 8, 8), not flipped. View 2: box
# (4, 0, 12, 8), flipped. Cells are 2 x 2 original pixels in both views.
BOXES = torch.tensor([[[0.0, 0.0, 8.0, 8.0], [4.0, 0.0, 12.0, 8.0]]])
FLIPS = torch.tensor([[False, True]])


def test_hand_worked_mapping_with_flip():
    # View 1 cell (u=2, v=1), idx 6: x = 0 + 2.5 * 2 = 5, y = 1.5 * 2 = 3.
    x, y = grid_to_image(torch.tensor([[6]]), BOXES[:, 0], FLIPS[:, 0],
                         (4, 4))
    assert (x.item(), y.item()) == (5.0, 3.0)
    # In view 2: (5 - 4) / 8 * 4 = 0.5 -> unflipped u 0 -> flipped u 3;
    # v = 3 / 8 * 4 = 1.5 -> 1. Flat index 1 * 4 + 3 = 7.
    idx, valid = map_between_views(torch.tensor([[6]]), BOXES, FLIPS, (4, 4))
    assert idx.item() == 7 and valid.item()
    # Back again: view 2 cell 7 is x = 4 + (0 + 0.5) * 2 = 5 -> view 1 u 2.
    back, valid = map_between_views(idx, BOXES, FLIPS, (4, 4), src=1, dst=0)
    assert back.item() == 6 and valid.item()
    # View 1 column 0 (x = 1) and 1 (x = 3) lie left of view 2 (x >= 4).
    idx, valid = map_between_views(torch.tensor([[0, 5, 2, 15]]), BOXES,
                                   FLIPS, (4, 4))
    assert valid.tolist() == [[False, False, True, True]]
    # Cell 2 (u=2, v=0): x = 5 -> u 3 (flipped); cell 15 (u=3, v=3):
    # x = 7 -> (7 - 4) / 2 = 1.5 -> u 1 -> flipped 2; v 3 -> 3 * 4 + 2.
    assert idx[0, 2:].tolist() == [3, 14]


def test_contract_pixel_formula_at_input_resolution():
    """x = x0 + (u + 0.5) * (x1 - x0) / W, u mirrored first if flipped."""
    box = torch.tensor([[10.0, 20.0, 122.0, 76.0]])
    u, v = 3, 5  # 224 x 224 view
    x, y = grid_to_image(torch.tensor([[v * 224 + u]]), box,
                         torch.tensor([True]), (224, 224))
    assert abs(x.item() - (10 + (220 + 0.5) * 112 / 224)) < 1e-4
    assert abs(y.item() - (20 + (5 + 0.5) * 56 / 224)) < 1e-4


def test_augmented_references_land_on_the_same_place(hg_batch):
    """Pos_aug cell of view 2 contains the original point of its Pos."""
    _, samples = hg_batch
    t = collect_hg_targets(samples, torch.device('cpu'))
    g = torch.Generator().manual_seed(0)
    s = HierarchySampler(num_pos=50, num_neg=20)(
        downsample_labels(t.labels, (16, 16)), t.dist, t.dist_valid,
        t.boxes, t.flips, generator=g)
    assert s.pos_aug_valid.any() and not s.pos_aug_valid.all()
    x1, y1 = grid_to_image(s.pos, t.boxes[:, 0], t.flips[:, 0], (16, 16))
    x2, y2 = grid_to_image(s.pos_aug, t.boxes[:, 1], t.flips[:, 1],
                           (16, 16))
    half_w = ((t.boxes[:, 1, 2] - t.boxes[:, 1, 0]) / 32).view(2, 1, 1)
    half_h = ((t.boxes[:, 1, 3] - t.boxes[:, 1, 1]) / 32).view(2, 1, 1)
    ok = ((x1 - x2).abs() <= half_w + 1e-3) & ((y1 - y2).abs() <= half_h +
                                               1e-3)
    assert ok[s.pos_aug_valid].all()
    # Invalid ones are outside view 2's box.
    b = t.boxes[:, 1].view(2, 1, 1, 4)
    inside = (x1 >= b[..., 0]) & (x1 < b[..., 2]) & (y1 >= b[..., 1]) & (
        y1 < b[..., 3])
    assert torch.equal(inside, s.pos_aug_valid)


def test_downsampled_labels_take_the_cell_centre():
    labels = torch.arange(16).view(1, 1, 4, 4)
    # 4 -> 2: cell centre (0.5 + c) * 2 = 1, 3 -> rows/cols 1 and 3.
    assert downsample_labels(labels, (2, 2)).flatten().tolist() == [
        5, 7, 13, 15]
