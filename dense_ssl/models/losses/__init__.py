"""Losses as pure functions of tensors."""
from .contrastive import combine_global_dense, dense_info_nce, info_nce, info_nce_reference
from .hierarchy_loss import hierarchy_loss  # noqa: F401

__all__ = [
    'info_nce', 'info_nce_reference', 'dense_info_nce', 'combine_global_dense'
]
