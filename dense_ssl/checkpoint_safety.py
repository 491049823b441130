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
"""
import importlib
import pickle
from typing import Any, Callable, List, Tuple

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
