import io
import os

import pytest
import torch
from mmengine.logging import HistoryBuffer
from mmengine.registry import DefaultScope

import dense_ssl  # noqa: F401
from dense_ssl import compat, registry
from mmselfsup import registry as mmselfsup_registry


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


def _pickled_history_buffer():
    buf = io.BytesIO()
    torch.save({'message_hub': HistoryBuffer([1.0], [1])}, buf)
    return buf.getvalue()


def test_trusted_loading_is_narrow():
    data = _pickled_history_buffer()
    before = os.environ.get('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD')
    # safe loading refuses mmengine objects outside the trusted block ...
    with pytest.raises(Exception, match='HistoryBuffer|weights_only'):
        torch.load(io.BytesIO(data))
    # ... accepts them inside ...
    with compat.trusted_checkpoint_loading():
        obj = torch.load(io.BytesIO(data))
    assert isinstance(obj['message_hub'], HistoryBuffer)
    # ... and is restored afterwards.
    assert os.environ.get('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD') == before
    with pytest.raises(Exception, match='HistoryBuffer|weights_only'):
        torch.load(io.BytesIO(data))


def test_runner_load_or_resume_is_wrapped_once():
    from mmengine.runner import Runner
    compat.apply_all()
    compat.apply_all()
    wrapped = Runner.load_or_resume
    assert wrapped._dense_ssl_trusted
    assert not getattr(wrapped.__wrapped__, '_dense_ssl_trusted', False)


def test_missing_mmselfsup_runner_module_is_provided():
    import importlib
    assert importlib.import_module('mmselfsup.engine.runner') is not None
