"""Safe loading of mmengine checkpoints (``torch.load(weights_only=True)``).

A checkpoint saved by mmengine's Runner holds, besides tensors, the logging
state of its ``message_hub``: ``HistoryBuffer`` objects wrapping numpy arrays.
torch >= 2.6 refuses those under ``weights_only=True`` ("Unsupported global").
Instead of switching safe loading off (which would let a checkpoint run
arbitrary code), we list the globals the file references and allow exactly
the few plain-data types a Runner writes; anything else is refused by name.
"""
import importlib
import os
import pickle
from typing import Any, Callable, Dict, List, Tuple

import torch

# Plain-data classes a Runner checkpoint references: they are rebuilt with
# ``__new__`` + ``__dict__``/``__setstate__`` by torch's restricted unpickler,
# none of them runs code of the file's choosing.
RUNNER_CHECKPOINT_GLOBALS = (
    'mmengine.logging.history_buffer.HistoryBuffer',
    'numpy.core.multiarray._reconstruct',
    'numpy.core.multiarray.scalar',
    'numpy.ndarray',
    'numpy.dtype',
    'builtins.set',
    'collections.OrderedDict',
)
# numpy >= 1.25 pickles each dtype through its class in ``numpy.dtypes``.
_NUMPY_DTYPES_MODULE = 'numpy.dtypes.'
# The message hub pickles ``HistoryBuffer.min`` etc. as
# ``getattr(HistoryBuffer, 'min')`` (pickle protocol 2); the real getattr
# would reach any attribute, so a restricted one stands in for it.
_GETATTR = 'builtins.getattr'


class CheckpointError(RuntimeError):
    """A checkpoint that cannot be read or exported (names the file)."""


def _history_buffer_method(obj: Any, name: str) -> Callable:
    """``getattr`` limited to public methods of ``HistoryBuffer``."""
    from mmengine.logging.history_buffer import HistoryBuffer
    if obj is not HistoryBuffer or name.startswith('_') or not callable(
            getattr(HistoryBuffer, name, None)):
        raise pickle.UnpicklingError(
            f'refusing getattr({obj!r}, {name!r}) while loading a checkpoint')
    return getattr(HistoryBuffer, name)


def _is_allowed(name: str) -> bool:
    if name in RUNNER_CHECKPOINT_GLOBALS or name == _GETATTR:
        return True
    return (name.startswith(_NUMPY_DTYPES_MODULE)
            and name.endswith('DType') and name.count('.') == 2)


def _resolve(name: str) -> Callable:
    if name == _GETATTR:
        return _history_buffer_method
    module, attr = name.rsplit('.', 1)
    return getattr(importlib.import_module(module), attr)


def allowed_globals_for(path: str) -> List[Tuple[Callable, str]]:
    """Return the (object, name) pairs ``path`` needs to load safely.

    Raises:
        CheckpointError: if the file references a global outside the allowlist.
    """
    needed = torch.serialization.get_unsafe_globals_in_checkpoint(path)
    refused = sorted(n for n in needed if not _is_allowed(n))
    if refused:
        raise CheckpointError(
            f'{path}: refusing to load, it references objects that safe '
            f'loading does not allow: {", ".join(refused)}. Only tensors, '
            'plain containers and the logging buffers of an mmengine Runner '
            'checkpoint are accepted.')
    allowed = [(_resolve(n), n) for n in needed]
    if 'numpy.dtype' in needed:
        # numpy.dtype('f8') returns a Float64DType instance that is then
        # BUILT: its class must be allowed though the file never names it.
        allowed += _numpy_dtype_classes()
    return allowed


def _numpy_dtype_classes() -> List[Tuple[Callable, str]]:
    import numpy as np
    return [(cls, f'numpy.dtypes.{cls.__name__}')
            for cls in vars(np.dtypes).values()
            if isinstance(cls, type) and cls.__name__.endswith('DType')]


def safe_load(path: str) -> Any:
    """``torch.load(path, weights_only=True)``, Runner checkpoints included.

    Args:
        path: a ``.pth`` file (mmengine checkpoint dict or bare state dict).

    Returns:
        The loaded object, tensors on the CPU.

    Raises:
        CheckpointError: missing file, unreadable file, or a disallowed global.
    """
    if not os.path.isfile(path):
        raise CheckpointError(f'{path}: no such checkpoint file')
    try:
        extra = allowed_globals_for(path)
    except CheckpointError:
        raise
    except Exception as exc:  # not a torch zip file, truncated, ...
        raise CheckpointError(f'{path}: not a readable torch checkpoint '
                              f'({type(exc).__name__}: {exc})') from exc
    with torch.serialization.safe_globals(extra):
        try:
            return torch.load(path, map_location='cpu', weights_only=True)
        except pickle.UnpicklingError as exc:
            raise CheckpointError(
                f'{path}: safe loading (weights_only=True) refused the file: '
                f'{str(exc).splitlines()[-1] if str(exc) else exc!r}') from exc


def state_dict_of(checkpoint: Any, path: str) -> Dict[str, torch.Tensor]:
    """The model state dict of a loaded checkpoint (``state_dict`` or bare)."""
    if isinstance(checkpoint, dict) and isinstance(
            checkpoint.get('state_dict'), dict):
        checkpoint = checkpoint['state_dict']
    if not isinstance(checkpoint, dict) or not all(
            isinstance(v, torch.Tensor) for v in checkpoint.values()):
        raise CheckpointError(
            f'{path}: expected a state dict (a dict of tensors, possibly '
            'under a "state_dict" key)')
    return checkpoint


def runner_checkpoint_globals() -> List[Tuple[Callable, str]]:
    """Every (object, name) a Runner checkpoint may need, for
    ``torch.serialization.safe_globals(...)`` or ``add_safe_globals``."""
    names = RUNNER_CHECKPOINT_GLOBALS + (_GETATTR, )
    return [(_resolve(n), n) for n in names] + _numpy_dtype_classes()


def allow_runner_checkpoints() -> None:
    """Allow the Runner-checkpoint globals process-wide for ``torch.load``.

    mmengine's ``PretrainedInit`` calls ``torch.load`` without arguments, so a
    config that points ``init_cfg`` at a full pre-training checkpoint fails
    under torch >= 2.6. Registering the same small allowlist globally keeps
    safe loading on and lets those files through.
    """
    torch.serialization.add_safe_globals(runner_checkpoint_globals())
