import argparse
import collections
import io
import os
import pickle

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub
from mmengine.registry import DefaultScope
from mmselfsup import registry as mmselfsup_registry

import dense_ssl  # noqa: F401
from dense_ssl import checkpoint_safety, compat, registry


def test_every_mmselfsup_registry_has_a_dense_ssl_child():
    for name in mmselfsup_registry.__all__:
        ours = getattr(registry, name)
        assert ours.scope == 'dense_ssl'
        assert ours.parent is getattr(mmselfsup_registry, name)


def test_no_dense_ssl_name_shadows_an_mmselfsup_name():
    for name in mmselfsup_registry.__all__:
        ours = set(getattr(registry, name).module_dict)
        theirs = set(getattr(mmselfsup_registry, name).module_dict)
        assert not ours & theirs, (name, ours & theirs)


def test_dense_ssl_scope_falls_back_to_mmselfsup_modules():
    with DefaultScope.overwrite_default_scope('dense_ssl'):
        # an mmselfsup transform, found through the parent registry
        multi_view = registry.TRANSFORMS.get('MultiView')
    from mmselfsup.datasets.transforms import MultiView
    assert multi_view is MultiView
    assert registry.TRANSFORMS.get('LoadImageOrSkip') is not None


def _saved(obj) -> bytes:
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


@pytest.fixture(autouse=True)
def _torch_default_loading(monkeypatch):
    # these tests are about torch's default (safe) loading: no override
    for key in ('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD',
                'TORCH_FORCE_WEIGHTS_ONLY_LOAD'):
        monkeypatch.delenv(key, raising=False)


def test_runner_checkpoint_loads_with_plain_safe_torch_load():
    # what a Runner writes: message hub buffers (numpy inside), numpy scalars
    hub = MessageHub('ckpt_safety_test')
    hub.update_scalar('train/loss', 1.5)
    hub.update_scalar('train/loss', 2.5)
    data = _saved({'message_hub': hub.state_dict(),
                   'meta': {'seed': np.int64(7), 'arr': np.arange(3.0),
                            'dtype': np.dtype('float32')},
                   'state_dict': {'w': torch.ones(2)}})
    obj = torch.load(io.BytesIO(data))  # torch's default: weights_only=True
    buf = obj['message_hub']['log_scalars']['train/loss']
    assert isinstance(buf, HistoryBuffer)
    assert buf.mean() == 2.0 and buf.current() == 2.5  # (1.5 + 2.5) / 2
    assert obj['meta']['seed'] == 7
    assert np.array_equal(obj['meta']['arr'], [0.0, 1.0, 2.0])
    assert obj['meta']['dtype'] == np.float32


@pytest.mark.parametrize('payload', [argparse.Namespace(a=1), os.system,
                                     collections.defaultdict(list)])
def test_other_globals_are_still_refused(payload):
    data = _saved({'x': payload})
    with pytest.raises(pickle.UnpicklingError,
                       match='Unsupported global|blocked'):
        torch.load(io.BytesIO(data))


class _Getattr:
    """Pickles as ``getattr(target, name)``, like HistoryBuffer.min."""

    def __init__(self, target, name):
        self.target, self.name = target, name

    def __reduce__(self):
        return getattr, (self.target, self.name)


def test_getattr_stand_in_reaches_only_history_buffer_statistics():
    obj = torch.load(io.BytesIO(_saved(_Getattr(HistoryBuffer, 'mean'))))
    assert obj is HistoryBuffer.mean
    for target, name in [(HistoryBuffer, 'register_statistics'),
                         (HistoryBuffer, '__init__'),
                         (torch.Tensor, 'add_')]:
        with pytest.raises(pickle.UnpicklingError, match='refusing getattr'):
            torch.load(io.BytesIO(_saved(_Getattr(target, name))))


def test_allowlist_registration_is_idempotent():
    compat.apply_all()
    before = set(torch.serialization.get_safe_globals())
    compat.apply_all()
    assert set(torch.serialization.get_safe_globals()) == before
    pairs = checkpoint_safety.runner_checkpoint_globals()
    assert set(pairs) <= before
    assert all(checkpoint_safety.is_allowed(n) for _, n in pairs)


def test_missing_mmselfsup_runner_module_is_provided():
    import importlib
    assert importlib.import_module('mmselfsup.engine.runner') is not None
