"""Hooks (registered in the dense_ssl scope)."""
from .dense_loss_warmup_hook import DenseLossWarmupHook
from .dense_probe_hook import DenseProbeHook
from .finite_loss_hook import FiniteLossHook, NonFiniteLossError
from .queue_length_hook import QueueLengthCheckHook

__all__ = [
    'DenseLossWarmupHook', 'DenseProbeHook', 'FiniteLossHook', 'NonFiniteLossError',
    'QueueLengthCheckHook'
]
