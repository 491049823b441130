"""The allowlist that lets torch's safe loading read mmengine Runner checkpoints.

torch >= 2.6 loads with ``weights_only=True`` by default: a restricted
unpickler that only rebuilds tensors, plain containers and the globals listed
with ``torch.serialization.add_safe_globals``. mmengine 0.10.7 calls
``torch.load`` without the flag (``--resume``, ``load_from``, ``init_cfg=
dict(type='Pretrained')``), and the checkpoints its Runner writes hold the
logging state of the ``message_hub`` besides tensors: ``HistoryBuffer``
objects wrapping numpy arrays. Those fail with "Unsupported global".

Instead of switching safe loading off (which would let a checkpoint run
arbitrary code), :func:`allow_runner_checkpoints` allows exactly what a
Runner checkpoint references, and nothing that can run code of the file's
choosing:

* ``HistoryBuffer``, ``numpy.ndarray``, ``numpy.dtype`` and numpy's dtype
  classes: plain-data classes, rebuilt by ``__new__`` plus
  ``__setstate__``/``__dict__``; their ``__setstate__`` only stores data.
* ``numpy.core.multiarray._reconstruct`` / ``scalar``: numpy's rebuilders of
  arrays and scalars (torch's documentation suggests allowing them). An
  object array's items are unpickled by the same restricted unpickler.
* ``builtins.getattr``, but NOT the real one: the message hub pickles
  ``HistoryBuffer.min`` (and max, mean, current) as ``getattr(HistoryBuffer,
  'min')``. A stand-in resolves only those four statistics methods and
  refuses anything else, so no other attribute of any object can be reached.

Globals outside this list (e.g. ``os.system``, ``argparse.Namespace``, a
custom class) are still refused by torch.

:func:`safe_load` (+ :func:`state_dict_of`) is THE checkpoint loader of the
package: ``tools/`` and :class:`~dense_ssl.applications.DenseEmbedder` call
it; a refused file names the globals it references.
"""
import importlib
import os
import pickle
from typing import Any, Callable, Dict, List, Tuple

import numpy as np
import torch

# numpy 2 renamed numpy.core to numpy._core (pickles name the module)
_NP_CORE = 'numpy._core' if int(np.__version__.split('.')[0]) >= 2 \
    else 'numpy.core'

#: Globals a Runner checkpoint may reference, by their pickled name.
RUNNER_CHECKPOINT_GLOBALS = (
    'mmengine.logging.history_buffer.HistoryBuffer',
    f'{_NP_CORE}.multiarray._reconstruct',
    f'{_NP_CORE}.multiarray.scalar',
    'numpy.ndarray',
    'numpy.dtype',
)
#: The ``HistoryBuffer`` methods its ``__getstate__`` pickles (mmengine's
#: default statistics); the restricted ``getattr`` resolves only these.
HISTORY_BUFFER_STATISTICS = ('min', 'max', 'mean', 'current')
_GETATTR = 'builtins.getattr'
# numpy >= 1.25 pickles each dtype through its class in ``numpy.dtypes``.
_NUMPY_DTYPES_MODULE = 'numpy.dtypes.'


def history_buffer_statistic(obj: Any, name: str) -> Callable:
    """Stand-in for ``getattr`` while unpickling: a statistics method of
    ``HistoryBuffer``, or :class:`pickle.UnpicklingError`."""
    from mmengine.logging.history_buffer import HistoryBuffer
    if obj is not HistoryBuffer or name not in HISTORY_BUFFER_STATISTICS:
        raise pickle.UnpicklingError(
            f'refusing getattr({obj!r}, {name!r}) while loading a checkpoint')
    return getattr(HistoryBuffer, name)


def is_allowed(name: str) -> bool:
    """Whether the pickled global ``name`` (``module.attr``) is allowed."""
    if name in RUNNER_CHECKPOINT_GLOBALS or name == _GETATTR:
        return True
    return (name.startswith(_NUMPY_DTYPES_MODULE)
            and name.endswith('DType') and name.count('.') == 2)


def _numpy_dtype_classes() -> List[Tuple[Callable, str]]:
    # numpy.dtype('f8') returns a Float64DType instance that is then BUILT:
    # its class must be allowed though the file never names it.
    return [(cls, f'numpy.dtypes.{cls.__name__}')
            for cls in vars(np.dtypes).values()
            if isinstance(cls, type) and cls.__name__.endswith('DType')]


def runner_checkpoint_globals() -> List[Tuple[Callable, str]]:
    """Every (object, pickled name) pair a Runner checkpoint may need.

    Do not pass them to the ``torch.serialization.safe_globals(...)``
    context: on exit it removes them from the process-wide allowlist too.
    """
    from mmengine.logging.history_buffer import HistoryBuffer
    multiarray = importlib.import_module(f'{_NP_CORE}.multiarray')
    objects = (HistoryBuffer, multiarray._reconstruct, multiarray.scalar,
               np.ndarray, np.dtype)
    return (list(zip(objects, RUNNER_CHECKPOINT_GLOBALS))
            + [(history_buffer_statistic, _GETATTR)]
            + _numpy_dtype_classes())


def allow_runner_checkpoints() -> None:
    """Allow :func:`runner_checkpoint_globals` process-wide for safe loading.

    Idempotent: torch keeps the allowed globals in a set.
    """
    torch.serialization.add_safe_globals(runner_checkpoint_globals())


class CheckpointError(ValueError, RuntimeError):
    """A checkpoint that cannot be read or exported (names the file).

    A ValueError (what the applications catch) and, as before, a
    RuntimeError."""


def check_globals(path: str) -> None:
    """Raise :class:`CheckpointError` naming every global of ``path`` that
    safe loading does not allow (a clearer message than torch's)."""
    needed = torch.serialization.get_unsafe_globals_in_checkpoint(path)
    refused = sorted(n for n in needed if not is_allowed(n))
    if refused:
        raise CheckpointError(
            f'{path}: refusing to load, it references objects that safe '
            f'loading does not allow: {", ".join(refused)}. Only tensors, '
            'plain containers and the logging buffers of an mmengine Runner '
            'checkpoint are accepted.')


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
        check_globals(path)
    except CheckpointError:
        raise
    except Exception as exc:  # not a torch zip file, truncated, ...
        raise CheckpointError(f'{path}: not a readable torch checkpoint '
                              f'({type(exc).__name__}: {exc})') from exc
    # `import dense_ssl` registered them already (idempotent). Not the
    # torch.serialization.safe_globals(...) context: its exit REMOVES the
    # globals, also the process-wide registration.
    allow_runner_checkpoints()
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
