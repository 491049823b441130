"""Eq. 1 of HG on hand-made 2-d embeddings."""
import pytest
import torch

from dense_ssl.models.heads import HierarchyLossHead
from dense_ssl.models.losses import hierarchy_loss

# Anchor (1, 0); positives cos 1 and cos 0; negatives cos -1 and cos 0.
A = torch.tensor([[1.0, 0.0]])
P = torch.tensor([[[1.0, 0.0], [0.0, 1.0]]])
N = torch.tensor([[[-1.0, 0.0], [0.0, -1.0]]])
PM = torch.ones(1, 2, dtype=torch.bool)
NM = torch.ones(1, 2, dtype=torch.bool)
# sum_n exp = e^-1 + e^0 = 1.367879
# ratio1 = e / (e + 1.367879) = 0.665241; ratio2 = 1 / 2.367879 = 0.422319
RATIO_LOSS = 1 - (0.665241 + 0.422319) / 2  # 0.456220
LOG_LOSS = -(-0.407604 + -0.862010) / 2  # -(ln r1 + ln r2) / 2 = 0.634807


def test_hand_worked_values():
    assert hierarchy_loss(A, P, N, PM, NM).item() == pytest.approx(
        RATIO_LOSS, abs=1e-5)
    assert hierarchy_loss(A, P, N, PM, NM, objective='log').item() == (
        pytest.approx(LOG_LOSS, abs=1e-5))
    # Temperature 0.5: e^2 / (e^2 + e^-2 + 1) = 0.866813,
    # 1 / (1 + e^-2 + 1) = 0.468311.
    assert hierarchy_loss(A, P, N, PM, NM, temperature=0.5).item() == (
        pytest.approx(1 - (0.866813 + 0.468311) / 2, abs=1e-5))


def test_cosine_masks_and_scale():
    """Lengths do not matter; masked entries change nothing."""
    p = torch.cat([3 * P, torch.tensor([[[5.0, 5.0]]])], 1)
    n = torch.cat([0.5 * N, torch.tensor([[[2.0, 0.0]]])], 1)
    pm = torch.tensor([[True, True, False]])
    nm = torch.tensor([[True, True, False]])
    assert hierarchy_loss(7 * A, p, n, pm, nm).item() == pytest.approx(
        RATIO_LOSS, abs=1e-5)


def test_anchor_without_negatives_has_ratio_one():
    a = torch.cat([A, A]).requires_grad_()
    p, n = torch.cat([P, P]), torch.cat([N, N])
    nm = torch.tensor([[True, True], [False, False]])
    loss = hierarchy_loss(a, p, n, torch.ones(2, 2, dtype=torch.bool), nm)
    # Second anchor: both ratios 1 -> mean of (0.665241, 0.422319, 1, 1).
    assert loss.item() == pytest.approx(1 - (1.087560 + 2) / 4, abs=1e-5)
    loss.backward()
    assert torch.isfinite(a.grad).all()


def test_head_equals_function_and_rejects_bad_options():
    head = HierarchyLossHead(temperature=0.5, objective='log')
    assert head(A, P, N, PM, NM).item() == pytest.approx(
        hierarchy_loss(A, P, N, PM, NM, 0.5, 'log').item())
    with pytest.raises(ValueError, match='objective'):
        HierarchyLossHead(objective='sum')
    with pytest.raises(ValueError, match='temperature'):
        HierarchyLossHead(temperature=0)
