"""Registered on import of :mod:`dense_ssl`.

The hooks are re-exported here as MMSelfSup does (``mmselfsup.engine``).
"""
from . import hooks, vis_backends  # noqa: F401
from .hooks import (DenseLossWarmupHook, FiniteLossHook, NonFiniteLossError,
                    QueueLengthCheckHook)
from .vis_backends import OptionalTensorboardVisBackend

__all__ = [
    'DenseLossWarmupHook', 'FiniteLossHook', 'NonFiniteLossError',
    'OptionalTensorboardVisBackend', 'QueueLengthCheckHook'
]
