"""k-nearest-neighbour classification on frozen global features.

The weighted k-NN of Wu et al. (InstDisc, CVPR 2018), as DINO and
MMSelfSup's ``knn_imagenet`` evaluation use it: features are L2-normalised,
each query's ``k`` most cosine-similar training samples vote for their
label with weight ``exp(similarity / temperature)``, and the class with the
largest total wins. Pure tensors: no model, no OpenMMLab.
"""
from typing import Dict, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor


def knn_scores(train_feats: Tensor, train_labels: Tensor, query_feats: Tensor,
               num_classes: int, k: int = 20, temperature: float = 0.07,
               exclude_self: bool = False, chunk_size: int = 1024) -> Tensor:
    """Class scores (Q, num_classes) of each query's weighted k-NN vote.

    Args:
        train_feats: (N, D) features of the labelled set.
        train_labels: (N,) integer labels in [0, num_classes).
        query_feats: (Q, D) features to classify.
        num_classes: number of classes.
        k: neighbours per query (at most the number of candidates).
        temperature: the vote of a neighbour of cosine s is exp(s / T).
        exclude_self: leave-one-out, for queries that ARE the training set
            (query i is training sample i and may not vote for itself).
        chunk_size: queries per similarity block (memory: chunk x N).
    """
    if train_feats.size(0) != train_labels.size(0):
        raise ValueError(f'{train_feats.size(0)} training features but '
                         f'{train_labels.size(0)} labels')
    if exclude_self and query_feats.size(0) != train_feats.size(0):
        raise ValueError('exclude_self needs the queries to be the training '
                         f'set ({query_feats.size(0)} vs '
                         f'{train_feats.size(0)})')
    if temperature <= 0:
        raise ValueError(f'temperature must be > 0, got {temperature}')
    train = F.normalize(train_feats.float(), dim=1)
    query = F.normalize(query_feats.float(), dim=1)
    labels = train_labels.long().to(train.device)
    k = min(k, train.size(0) - int(exclude_self))
    if k < 1:
        raise ValueError('k-NN needs at least one training sample to vote')
    scores = torch.zeros(query.size(0), num_classes, device=query.device)
    for start in range(0, query.size(0), chunk_size):
        sim = query[start:start + chunk_size] @ train.t()
        if exclude_self:
            rows = torch.arange(sim.size(0), device=sim.device)
            sim[rows, rows + start] = float('-inf')
        top, idx = sim.topk(k, dim=1)
        votes = (top / temperature).exp()
        scores[start:start + chunk_size].scatter_add_(1, labels[idx], votes)
    return scores


def topk_accuracy(scores: Tensor, labels: Tensor,
                  topk: Sequence[int] = (1, 5)) -> Dict[str, float]:
    """``{'top1': %, 'top5': %}``; a k above the number of classes is
    skipped (every label would count as found)."""
    out = {}
    ranked = scores.argsort(dim=1, descending=True)
    for k in topk:
        if k > scores.size(1):
            continue
        hit = (ranked[:, :k] == labels.view(-1, 1).to(ranked.device)).any(1)
        out[f'top{k}'] = 100.0 * hit.float().mean().item()
    return out
