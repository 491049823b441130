"""InfoNCE losses of MoCo-v2 / DenseCL as pure functions of tensors.

Numbers are those of MMSelfSup's ``ContrastiveHead`` with
``mmcls.CrossEntropyLoss`` (mean over rows, label 0 = the positive), so the
two implementations agree to float rounding.

:func:`info_nce` uses a fused autograd function when only ``q`` needs a
gradient (the MoCo case: keys and queue are constants). It computes the
gradient of ``q`` in the forward pass, so it keeps nothing else for the
backward pass. Two wins: no ``(M, 1 + K)`` logits/softmax tensors kept alive
(for the dense loss M = N * S^2, e.g. 196 x 65536 floats = 51 MB), and the
queue is *not* saved for backward, so the caller may overwrite queue columns
in place right after the forward pass without ``queue.clone()`` (MMSelfSup
clones both 128 x 65536 queues every step for exactly that reason).
"""
from typing import Dict, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor


def info_nce_reference(q: Tensor, k_pos: Tensor, queue: Tensor,
                       temperature: float) -> Tensor:
    """Plain autograd InfoNCE (what MMSelfSup computes), used as reference.

    Args:
        q: (M, C) L2-normalised queries.
        k_pos: (M, C) L2-normalised positive keys, row i for query i.
        queue: (C, K) L2-normalised negative keys (MMSelfSup's layout).
        temperature: softmax temperature.

    Returns:
        Scalar mean cross-entropy with the positive at index 0.
    """
    l_pos = torch.einsum('mc,mc->m', q, k_pos).unsqueeze(-1)
    l_neg = torch.einsum('mc,ck->mk', q, queue)
    logits = torch.cat((l_pos, l_neg), dim=1) / temperature
    labels = torch.zeros(q.size(0), dtype=torch.long, device=q.device)
    return F.cross_entropy(logits, labels)


def _info_nce_and_grad(q: Tensor, k_pos: Tensor, queue: Tensor,
                       temperature: float) -> Tuple[Tensor, Tensor]:
    """Loss and d loss / d q of InfoNCE with constant keys (no autograd).

    With p = softmax([q.k, q.queue] / T) over M rows (mean reduction):
    d loss / d q_i = ((p_i0 - 1) k_i + sum_j p_ij queue_j) / (T M).
    """
    inv_t = 1.0 / temperature
    m = q.size(0)
    q = q * inv_t  # (M, C): cheaper than scaling the (M, K) logits
    l_pos = (q * k_pos).sum(dim=1, keepdim=True)  # (M, 1)
    e_neg = torch.mm(q, queue)  # (M, K) logits, exponentiated in place
    shift = torch.maximum(e_neg.amax(dim=1, keepdim=True), l_pos)
    e_neg.sub_(shift).exp_()
    e_pos = (l_pos - shift).exp_()
    z = e_neg.sum(dim=1, keepdim=True).add_(e_pos)  # partition function
    loss = (shift + z.log() - l_pos).mean()
    # p = e / z; the (M, K) softmax is never materialised: 1/z is applied
    # to the (M, C) product instead.
    grad_q = torch.mm(e_neg, queue.t()).div_(z)
    grad_q.add_(k_pos * (e_pos / z - 1.0)).mul_(inv_t / m)
    return grad_q, loss


class _InfoNCEConstKeys(torch.autograd.Function):
    """InfoNCE whose keys and queue are constants; d loss / d q in forward.

    ``q`` and ``k_pos`` are (M, C) rows, or (N, C, S) grids whose S columns
    are rows (``dense=True``). The gradient is returned in the memory layout
    of ``q``: a grid gradient laid out as transposed rows would reach the
    1x1 convolutions as a channels-last tensor and, in a contiguous model,
    push every convolution backward onto a slow mixed-layout path (15x
    slower convolution backward measured on CPU).
    """

    @staticmethod
    def forward(ctx, q: Tensor, k_pos: Tensor, queue: Tensor,
                temperature: float, dense: bool) -> Tensor:
        q_rows, k_rows = q, k_pos
        if dense:
            c = q.size(1)
            q_rows = q.transpose(1, 2).reshape(-1, c)
            k_rows = k_pos.transpose(1, 2).reshape(-1, c)
        # At least float32 even under AMP: a 65536-way softmax.
        dtype = torch.promote_types(q.dtype, torch.float32)
        with torch.autocast(q.device.type, enabled=False):
            grad_rows, loss = _info_nce_and_grad(
                q_rows.to(dtype), k_rows.to(dtype), queue.to(dtype),
                temperature)
        if dense:
            n, c, s = q.shape
            grad_rows = grad_rows.view(n, s, c).transpose(1, 2)
        grad_q = torch.empty_like(q)  # preserves the layout of q
        grad_q.copy_(grad_rows)
        ctx.save_for_backward(grad_q)
        return loss

    @staticmethod
    def backward(ctx, grad_out: Tensor):
        grad_q, = ctx.saved_tensors
        return grad_q * grad_out, None, None, None, None


def info_nce(q: Tensor, k_pos: Tensor, queue: Tensor,
             temperature: float) -> Tensor:
    """InfoNCE of MoCo: positive at index 0, negatives from the queue.

    Args:
        q: (M, C) L2-normalised queries.
        k_pos: (M, C) L2-normalised positive keys, row i for query i.
        queue: (C, K) L2-normalised negative keys (MMSelfSup's layout).
        temperature: softmax temperature.

    Returns:
        Scalar: mean over the M rows of -log softmax(logits / T)[0], where
        logits = [q.k_pos, q.queue].
    """
    if q.dim() != 2 or k_pos.shape != q.shape or queue.size(0) != q.size(1):
        raise ValueError(
            f'info_nce expects q (M, C), k_pos (M, C), queue (C, K); got '
            f'{tuple(q.shape)}, {tuple(k_pos.shape)}, {tuple(queue.shape)}')
    if k_pos.requires_grad or queue.requires_grad:
        return info_nce_reference(q, k_pos, queue, temperature)
    return _InfoNCEConstKeys.apply(q, k_pos, queue, temperature, False)


def dense_info_nce(q_grid: Tensor, k_matched: Tensor, queue: Tensor,
                   temperature: float) -> Tensor:
    """DenseCL's dense InfoNCE: every query position is one InfoNCE row.

    Args:
        q_grid: (N, C, S) L2-normalised dense queries (S grid positions).
        k_matched: (N, C, S) L2-normalised keys; column s is the positive
            of query position s (see
            :func:`dense_ssl.models.utils.gather_positions`).
        queue: (C, K) the dense queue (pooled dense keys of past images).
        temperature: softmax temperature.

    Returns:
        Scalar mean over the N * S positions (MMSelfSup's row order).
    """
    if q_grid.dim() != 3 or k_matched.shape != q_grid.shape:
        raise ValueError(
            'dense_info_nce expects q_grid and k_matched of one shape '
            f'(N, C, S); got {tuple(q_grid.shape)}, {tuple(k_matched.shape)}')
    if queue.size(0) != q_grid.size(1):
        raise ValueError(f'dense_info_nce: queue {tuple(queue.shape)} does '
                         f'not hold {q_grid.size(1)}-d keys')
    if k_matched.requires_grad or queue.requires_grad:
        c = q_grid.size(1)
        return info_nce_reference(
            q_grid.transpose(1, 2).reshape(-1, c),
            k_matched.transpose(1, 2).reshape(-1, c), queue, temperature)
    return _InfoNCEConstKeys.apply(q_grid, k_matched, queue, temperature,
                                   True)


def combine_global_dense(loss_global: Tensor, loss_dense: Tensor,
                         loss_lambda: float) -> Dict[str, Tensor]:
    """DenseCL's ``(1 - lambda) * L_global + lambda * L_dense`` as named terms.

    The terms are kept apart (MMSelfSup's names) so the logger shows both;
    mmengine sums every key starting with ``loss``. A zero weight still
    multiplies the term (no skipping), so every parameter keeps receiving a
    (zero) gradient and DDP needs no ``find_unused_parameters``.
    """
    return dict(
        loss_single=loss_global * (1.0 - loss_lambda),
        loss_dense=loss_dense * loss_lambda)
