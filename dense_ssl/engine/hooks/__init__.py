"""Hooks (registered in the dense_ssl scope)."""
from .dense_loss_warmup_hook import DenseLossWarmupHook
from .finite_loss_hook import FiniteLossHook, NonFiniteLossError
from .queue_length_hook import QueueLengthCheckHook

__all__ = [
    'DenseLossWarmupHook', 'FiniteLossHook', 'NonFiniteLossError',
    'QueueLengthCheckHook'
]
