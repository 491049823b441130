"""InfoNCE maths on hand-made 2-d features."""
import math

import pytest
import torch

from dense_ssl.models.losses import (
    combine_global_dense,
    dense_info_nce,
    info_nce,
    info_nce_reference,
)

# q = (1, 0); positive k = (1, 0); queue columns (0, 1) and (-1, 0):
# logits = [1, 0, -1] / T.
Q = torch.tensor([[1.0, 0.0]])
K = torch.tensor([[1.0, 0.0]])
QUEUE = torch.tensor([[0.0, -1.0], [1.0, 0.0]])  # (C=2, K=2)


@pytest.mark.parametrize('fn', [info_nce, info_nce_reference])
@pytest.mark.parametrize('temperature, expected', [
    (1.0, math.log(math.e + 1 + 1 / math.e) - 1),
    (0.5, math.log(math.e**2 + 1 + math.e**-2) - 2),
])
def test_info_nce_by_hand(fn, temperature, expected):
    loss = fn(Q.clone().requires_grad_(), K, QUEUE, temperature)
    assert loss.item() == pytest.approx(expected, abs=1e-6)


def test_info_nce_is_mean_over_rows():
    # second row: q = (0, 1), k = (0, 1): logits [1, 1, 0] at T = 1.
    q = torch.tensor([[1.0, 0.0], [0.0, 1.0]], requires_grad=True)
    loss = info_nce(q, q.detach(), QUEUE, 1.0)
    row0 = math.log(math.e + 1 + 1 / math.e) - 1
    row1 = math.log(2 * math.e + 1) - 1
    assert loss.item() == pytest.approx((row0 + row1) / 2, abs=1e-6)


def test_info_nce_gradient_by_hand():
    # d loss / d q = (p0 - 1) k + p1 queue_1 + p2 queue_2, p = softmax(1,0,-1)
    q = Q.clone().requires_grad_()
    info_nce(q, K, QUEUE, 1.0).backward()
    z = math.e + 1 + 1 / math.e
    p0, p1, p2 = math.e / z, 1 / z, (1 / math.e) / z
    expected = [(p0 - 1) * 1 + p1 * 0 + p2 * -1, p1 * 1]
    assert q.grad[0].tolist() == pytest.approx(expected, abs=1e-6)


def test_fused_info_nce_matches_autograd_reference():
    gen = torch.Generator().manual_seed(0)
    q = torch.nn.functional.normalize(
        torch.randn(7, 5, generator=gen, dtype=torch.float64), dim=1)
    k = torch.nn.functional.normalize(
        torch.randn(7, 5, generator=gen, dtype=torch.float64), dim=1)
    queue = torch.nn.functional.normalize(
        torch.randn(5, 11, generator=gen, dtype=torch.float64), dim=0)
    q1, q2 = q.clone().requires_grad_(), q.clone().requires_grad_()
    (info_nce(q1, k, queue, 0.2) * 0.3).backward()
    (info_nce_reference(q2, k, queue, 0.2) * 0.3).backward()
    torch.testing.assert_close(q1.grad, q2.grad)
    assert torch.autograd.gradcheck(
        lambda x: info_nce(x, k, queue, 0.2), (q.clone().requires_grad_(), ))


def test_fused_info_nce_does_not_keep_the_queue():
    # The queue may be overwritten in place before backward (no clone).
    q = torch.tensor([[0.6, 0.8]], requires_grad=True)
    queue = QUEUE.clone()
    loss = info_nce(q, K, queue, 0.5)
    expected = torch.autograd.grad(
        info_nce_reference(q, K, QUEUE, 0.5), q)[0]
    queue.fill_(7.0)
    loss.backward()
    torch.testing.assert_close(q.grad, expected)


def test_dense_info_nce_rows_are_grid_positions():
    # one image, two cells: q = (1,0), (0,1); matched keys equal the queries;
    # dense queue = one column (1, 0). Rows: logits [1, 1] and [1, 0] (T=1).
    q_grid = torch.tensor([[[1.0, 0.0], [0.0, 1.0]]])  # (N=1, C=2, S=2)
    queue = torch.tensor([[1.0], [0.0]])
    loss = dense_info_nce(q_grid, q_grid.clone(), queue, 1.0)
    expected = (math.log(2.0) + math.log(math.e + 1) - 1) / 2
    assert loss.item() == pytest.approx(expected, abs=1e-6)


def test_shape_errors_are_explicit():
    with pytest.raises(ValueError, match='q \\(M, C\\)'):
        info_nce(torch.zeros(2, 3), torch.zeros(2, 3), torch.zeros(4, 5), 1.)
    with pytest.raises(ValueError, match='one shape'):
        dense_info_nce(torch.zeros(1, 2, 3), torch.zeros(1, 2, 4),
                       torch.zeros(2, 5), 1.)


def test_combine_global_dense_weights():
    terms = combine_global_dense(torch.tensor(2.0), torch.tensor(4.0), 0.25)
    assert terms['loss_single'].item() == pytest.approx(1.5)
    assert terms['loss_dense'].item() == pytest.approx(1.0)
    zero = combine_global_dense(torch.tensor(2.0), torch.tensor(4.0), 0.0)
    assert zero['loss_dense'].item() == 0.0
