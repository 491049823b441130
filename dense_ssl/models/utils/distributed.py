"""Shuffle-BN and gathering that also work without a process group.

On one process (CPU runs, single-GPU runs, tests, notebooks) no
``init_process_group`` was called, and the authors' helpers fail with
"Default process group has not been initialized". There, every key of the
batch is in the one BatchNorm batch anyway, so shuffling cannot change the
statistics: the plain path returns the input untouched.
"""
from typing import Optional, Tuple

import torch
from mmengine import dist
from torch import Tensor


def _multi_process() -> bool:
    return dist.is_distributed() and dist.get_world_size() > 1


@torch.no_grad()
def concat_all_gather(tensor: Tensor) -> Tensor:
    """Concatenate ``tensor`` of every process along dim 0 (itself alone
    without a process group)."""
    if not _multi_process():
        return tensor
    return torch.cat(dist.all_gather(tensor), dim=0)


@torch.no_grad()
def batch_shuffle_ddp(x: Tensor) -> Tuple[Tensor, Optional[Tensor]]:
    """Give this process a random part of the global batch (shuffle-BN).

    Returns:
        The shuffled images of this process and the index that undoes the
        shuffle (``None`` on the single-process path).
    """
    if not _multi_process():
        return x, None
    x_all = concat_all_gather(x)
    num_procs = x_all.size(0) // x.size(0)
    idx_shuffle = torch.randperm(x_all.size(0), device=x.device)
    dist.broadcast(idx_shuffle, src=0)
    idx_unshuffle = torch.argsort(idx_shuffle)
    idx_this = idx_shuffle.view(num_procs, -1)[dist.get_rank()]
    return x_all[idx_this], idx_unshuffle


@torch.no_grad()
def batch_unshuffle_ddp(x: Tensor, idx_unshuffle: Optional[Tensor]) -> Tensor:
    """Undo :func:`batch_shuffle_ddp` (identity after its plain path)."""
    if idx_unshuffle is None:
        return x
    x_all = concat_all_gather(x)
    num_procs = x_all.size(0) // x.size(0)
    idx_this = idx_unshuffle.view(num_procs, -1)[dist.get_rank()]
    return x_all[idx_this]
