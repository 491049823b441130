"""DenseProjectionNeck: shapes, grid pooling, MMSelfSup DenseCLNeck parity."""
import pytest
import torch
from mmselfsup.registry import MODELS as MMSELFSUP_MODELS

import dense_ssl  # noqa: F401
from dense_ssl.registry import MODELS


def _pair(num_grid=None):
    cfg = dict(in_channels=16, hid_channels=12, out_channels=4,
               num_grid=num_grid)
    ours = MODELS.build(dict(type='DenseProjectionNeck', **cfg))
    theirs = MMSELFSUP_MODELS.build(dict(type='DenseCLNeck', **cfg))
    ours.load_state_dict(theirs.state_dict(), strict=True)
    return ours, theirs


@pytest.mark.parametrize('num_grid', [None, 2])
def test_outputs_equal_mmselfsup_neck(num_grid):
    ours, theirs = _pair(num_grid)
    x = [torch.randn(3, 16, 5, 5, generator=torch.Generator().manual_seed(1))]
    out, ref = ours(x), theirs(x)
    s2 = 25 if num_grid is None else 4
    assert [tuple(t.shape) for t in out] == [(3, 4), (3, 4, s2), (3, 4)]
    for a, b in zip(out, ref):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)


def test_state_dict_keys_equal_mmselfsup_neck():
    ours, theirs = _pair(3)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    theirs.load_state_dict(ours.state_dict(), strict=True)


def test_channels_last_input_and_errors():
    ours, _ = _pair()
    x = torch.randn(2, 16, 4, 4)
    ref = ours([x])
    out = ours([x.contiguous(memory_format=torch.channels_last)])
    for a, b in zip(out, ref):
        torch.testing.assert_close(a, b)
    with pytest.raises(ValueError, match='one backbone map'):
        ours([x, x])
