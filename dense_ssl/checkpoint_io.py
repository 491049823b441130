"""Safe loading of mmengine checkpoints (``torch.load(weights_only=True)``).

A checkpoint saved by mmengine's Runner holds, besides tensors, the logging
state of its ``message_hub``: ``HistoryBuffer`` objects wrapping numpy arrays.
torch >= 2.6 refuses those under ``weights_only=True`` ("Unsupported global").
Instead of switching safe loading off (which would let a checkpoint run
arbitrary code), the few plain-data types a Runner writes are allowed by
name (the allowlist is :mod:`dense_ssl.checkpoint_safety`, which
``import dense_ssl`` also registers process-wide); a file referencing
anything else is refused with the offending names listed.
"""
import os
import pickle
from typing import Any, Dict

import torch

from dense_ssl.checkpoint_safety import allow_runner_checkpoints, is_allowed


class CheckpointError(RuntimeError):
    """A checkpoint that cannot be read or exported (names the file)."""


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
