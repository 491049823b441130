"""Ring-buffer queue of negative keys (MoCo), as plain functions."""
import torch
import torch.nn.functional as F
from torch import Tensor


def new_queue(feat_dim: int, queue_len: int) -> Tensor:
    """A (feat_dim, queue_len) queue of random unit columns (MMSelfSup's)."""
    return F.normalize(torch.randn(feat_dim, queue_len), dim=0)


def check_queue_len(queue_len: int, global_batch_size: int) -> None:
    """Raise if ``queue_len`` is not a multiple of the global batch size.

    Every batch then fills one contiguous block and the queue always holds
    ``queue_len / global_batch_size`` whole batches, exactly as MoCo,
    DenseCL and MMSelfSup do (their ``assert`` gives no message): a pointer
    saved by MMSelfSup resumes identically here.
    """
    if global_batch_size <= 0 or queue_len % global_batch_size != 0:
        nearest = max(queue_len // max(global_batch_size, 1), 1) * \
            max(global_batch_size, 1)
        raise ValueError(
            f'queue_len={queue_len} is not a multiple of the global batch '
            f'size {global_batch_size} (batch per process x number of '
            f'processes); use e.g. queue_len={nearest}.')


@torch.no_grad()
def enqueue_(queue: Tensor, keys: Tensor, ptr: int) -> int:
    """Write ``keys`` into ``queue`` columns from ``ptr`` on, wrapping around.

    In place on ``queue`` (hence the trailing underscore), otherwise a pure
    function: no hidden state, the new pointer is returned.

    Args:
        queue: (C, K) queue; column j is one key.
        keys: (B, C) keys to add, B <= K.
        ptr: index of the oldest column, where writing starts.

    Returns:
        The new pointer ``(ptr + B) % K``.
    """
    length = queue.size(1)
    batch = keys.size(0)
    if batch > length:
        raise ValueError(
            f'cannot enqueue {batch} keys into a queue of length {length}')
    first = min(batch, length - ptr)
    queue[:, ptr:ptr + first] = keys[:first].t()
    if first < batch:  # wrap around to the start
        queue[:, :batch - first] = keys[first:].t()
    return (ptr + batch) % length
