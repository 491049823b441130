"""Hooks (registered in the dense_ssl scope)."""
from .dense_loss_warmup_hook import DenseLossWarmupHook

__all__ = ['DenseLossWarmupHook']
