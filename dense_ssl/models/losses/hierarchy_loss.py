"""Pixel-level contrastive objective of HG (Zhang & Maire 2020, eq. 1).

Eq. 1 of the paper, with sim = cosine similarity::

    phi* = argmax sum_i sum_{m in Pos+(i)}
           exp(sim(i, m)) / (exp(sim(i, m)) + sum_{n in Neg+(i)} exp(sim(i, n)))

Each positive has its own ratio; the other positives are not in its
denominator. Two trainable forms are offered (c = number of valid
(anchor, positive) pairs, s = cosine similarity / temperature):

- ``objective='ratio'`` (default, eq. 1 as written): minimise
  ``L = 1 - (1/c) sum_i sum_m ratio(i, m)``. The paper optimises "Equation
  (1)" and writes no logarithm; the ratio form also down-weights positives
  that look like negatives, which suits positives drawn at random from a
  region tree. Averaging instead of summing only rescales the loss, to
  which Adam (the paper's optimiser) is invariant.
- ``objective='log'``: ``L = -(1/c) sum_i sum_m log ratio(i, m)``, the
  usual InfoNCE-style form (SegSort, MoCo).

``temperature`` divides the similarities; 1.0 is the paper's form (its
eq. 1 has none). SegSort, the authors' earlier code, uses a concentration of
10 (temperature 0.1) with the log form.
"""
import torch
import torch.nn.functional as F
from torch import Tensor

OBJECTIVES = ('ratio', 'log')


def hierarchy_loss(anchors: Tensor,
                   positives: Tensor,
                   negatives: Tensor,
                   pos_mask: Tensor,
                   neg_mask: Tensor,
                   temperature: float = 1.0,
                   objective: str = 'ratio') -> Tensor:
    """Eq. 1 as a loss to minimise (see the module docstring).

    Args:
        anchors: (M, D) anchor embeddings (normalised here).
        positives: (M, P, D) positive references of each anchor.
        negatives: (M, Q, D) negative references of each anchor.
        pos_mask: (M, P) bool, which positives are real.
        neg_mask: (M, Q) bool, which negatives are real.
        temperature: divides the cosine similarities (1.0 = paper).
        objective: ``'ratio'`` (eq. 1) or ``'log'``.

    Returns:
        Scalar loss; 0 (still attached to the graph) without valid pairs.
    """
    if objective not in OBJECTIVES:
        raise ValueError(f'objective={objective!r}; choose from {OBJECTIVES}')
    a = F.normalize(anchors, dim=-1)
    s_pos = torch.einsum('md,mpd->mp', a, F.normalize(positives, dim=-1))
    s_neg = torch.einsum('md,mqd->mq', a, F.normalize(negatives, dim=-1))
    s_pos = s_pos / temperature
    s_neg = (s_neg / temperature).masked_fill(~neg_mask, float('-inf'))
    # log sum_n exp(s_in); -inf when an anchor has no negative, which makes
    # its ratios exactly 1 (log ratio 0): nothing to push apart.
    lse_neg = torch.logsumexp(s_neg, dim=1, keepdim=True)
    log_ratio = s_pos - torch.logaddexp(s_pos, lse_neg)
    weight = pos_mask.to(log_ratio.dtype)
    count = weight.sum().clamp(min=1.0)
    if objective == 'log':
        return -(log_ratio * weight).sum() / count
    return 1.0 - (log_ratio.exp() * weight).sum() / count
