"""Registered on import of :mod:`dense_ssl`.

The hooks are re-exported here as MMSelfSup does (``mmselfsup.engine``).
"""
from . import hooks  # noqa: F401
from .hooks import DenseLossWarmupHook, FiniteLossHook, NonFiniteLossError

__all__ = ['DenseLossWarmupHook', 'FiniteLossHook', 'NonFiniteLossError']
