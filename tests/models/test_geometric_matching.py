"""DenseContrast(match='geometric'): positives from the views' crop geometry.

Toy pair, worked out by hand. Original image 64 x 64; both views 64 px,
ResNet-18 -> a 2 x 2 dense grid, so a cell is half a view.

* query view: box (0, 0, 32, 32), not flipped. Cell centres in the image:
  x = 0 + (u + 0.5) * 32 / 2 = 8, 24 and y = 8, 24.
* key view: box (16, 0, 48, 32). A point x lies in key column
  floor((x - 16) / 32 * 2): x = 8 -> -0.5, outside; x = 24 -> 0.5, column 0.

So query cells 0 (row 0, col 0) and 2 (row 1, col 0) are not covered, cell 1
-> key cell 0 and cell 3 -> key cell 2; covered share 2 / 4 = 0.5. With the
key view flipped, the key column is mirrored: 1 -> key cell 1, 3 -> 3.
"""
import pytest
import torch
import torch.nn.functional as F

import dense_ssl  # noqa: F401
from dense_ssl.models.losses import info_nce_reference
from dense_ssl.models.objectives import DenseContrast
from dense_ssl.models.objectives.dense_contrast import cell_indices
from dense_ssl.models.sampling import map_between_views
from dense_ssl.registry import MODELS
from mmselfsup.structures import SelfSupDataSample
from densecl_helpers import densecl_neck_cfg, resnet18_cfg

Q_BOX, K_BOX = (0., 0., 32., 32.), (16., 0., 48., 32.)


def geometry(n, key_flip=False):
    boxes = torch.tensor([[Q_BOX, K_BOX]] * n)
    flips = torch.tensor([[False, key_flip]] * n)
    return boxes, flips


@pytest.mark.parametrize('key_flip, expected', [
    (False, [0, 0, 0, 2]), (True, [0, 1, 0, 3])])
def test_toy_box_pair_by_hand(key_flip, expected):
    boxes, flips = geometry(1, key_flip)
    idx, covered = map_between_views(torch.arange(4)[None], boxes, flips,
                                     (2, 2))
    assert covered.tolist() == [[False, True, False, True]]
    assert idx[covered].tolist() == [expected[1], expected[3]]


def samples(n, key_flip=False):
    boxes, flips = geometry(n, key_flip)
    out = []
    for b in range(n):
        ds = SelfSupDataSample()
        ds.set_field(boxes[b], 'hg_boxes')
        ds.set_field(flips[b], 'hg_flips')
        out.append(ds)
    return out


def build():
    torch.manual_seed(0)
    return MODELS.build(dict(
        type='DenseCLAlgorithm', backbone=resnet18_cfg(),
        neck=densecl_neck_cfg('DenseProjectionNeck'), queue_len=16,
        feat_dim=8, temperature=0.2, match='geometric')).train()


@pytest.mark.parametrize('key_flip', [False, True])
def test_loss_is_info_nce_over_the_covered_cells(key_flip):
    model = build()
    views = [torch.randn(2, 3, 64, 64) for _ in range(2)]
    enc = model.encode(views)
    dense = model.objective(DenseContrast)
    out = dense(model, enc, samples(2, key_flip))
    assert out.losses['dense_covered'].item() == 0.5
    q = F.normalize(enc.q_out[1], dim=1)
    k = F.normalize(enc.k_out[1], dim=1)
    key_cells = [1, 3] if key_flip else [0, 2]
    q_rows = q[:, :, [1, 3]].transpose(1, 2).reshape(-1, 8)
    k_rows = k[:, :, key_cells].transpose(1, 2).reshape(-1, 8)
    expected = info_nce_reference(q_rows, k_rows, model.queue2, 0.2)
    torch.testing.assert_close(out.losses['loss_dense'],
                               expected * model.loss_lambda)
    assert torch.equal(out.enqueue['queue2'],
                       F.normalize(enc.k_out[2], dim=1))
    assert cell_indices(q).tolist() == [[0, 1, 2, 3]] * 2


def test_trains_a_few_steps_and_logs_the_covered_share():
    model = build()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    g = torch.Generator().manual_seed(1)
    views = [torch.randn(4, 3, 64, 64, generator=g) for _ in range(2)]
    before = model.neck.mlp2[0].weight.detach().clone()
    for _step in range(3):
        losses = model.loss([v.clone() for v in views], samples(4))
        assert losses['dense_covered'].item() == 0.5
        loss, log = model.parse_losses(losses)
        assert 'dense_covered' in log and torch.isfinite(loss)
        opt.zero_grad()
        loss.backward()
        assert model.neck.mlp2[0].weight.grad.abs().sum() > 0
        opt.step()
    assert int(model.queue2_ptr) == 12 and int(model.queue_ptr) == 12
    assert not torch.equal(before, model.neck.mlp2[0].weight)


def test_no_covered_cell_gives_a_zero_that_keeps_gradients():
    model = build()
    views = [torch.randn(2, 3, 64, 64) for _ in range(2)]
    far = samples(2)
    for ds in far:
        ds.hg_boxes = torch.tensor([Q_BOX, (40., 40., 64., 64.)])
    losses = model.loss(views, far)
    assert losses['loss_dense'].item() == 0.0
    assert losses['dense_covered'].item() == 0.0
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    assert model.neck.mlp2[0].weight.grad is not None


def test_geometry_is_required():
    model = build()
    views = [torch.randn(2, 3, 64, 64) for _ in range(2)]
    with pytest.raises(ValueError, match='crop boxes and flips'):
        model.loss(views, [SelfSupDataSample(), SelfSupDataSample()])
