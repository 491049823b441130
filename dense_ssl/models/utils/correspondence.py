"""Dense correspondence between the two views: which key position is the
positive of each query position. Pure ``no_grad`` functions of tensors.

Strategies of the DenseCL ablation (Table 5 of the paper):
``max_sim`` on backbone maps (max-sim F, the default), ``max_sim`` on the
dense projections (max-sim Theta) and ``random`` matching.
"""
from typing import Optional, Tuple, Union

import torch
import torch.nn.functional as F
from torch import Tensor


@torch.no_grad()
def match_max_sim(q_feat: Tensor, k_feat: Tensor,
                  normalize: bool = True) -> Tensor:
    """For every query position, the most similar key position (cosine).

    Args:
        q_feat: (N, C, S_q) query-view features (S_q flattened positions).
        k_feat: (N, C, S_k) key-view features.
        normalize: L2-normalise along C first (skip if already normalised).

    Returns:
        (N, S_q) long indices into the S_k key positions (argmax over keys,
        one direction, no threshold, as the authors do).
    """
    if normalize:
        q_feat = F.normalize(q_feat, dim=1)
        k_feat = F.normalize(k_feat, dim=1)
    sim = torch.bmm(q_feat.transpose(1, 2), k_feat)  # (N, S_q, S_k)
    return sim.argmax(dim=2)


@torch.no_grad()
def match_random(n: int, s_q: int, s_k: int, device=None,
                 generator: Optional[torch.Generator] = None) -> Tensor:
    """Random matching (the paper's "random" ablation).

    Each query position gets a different key position when ``s_q <= s_k``
    (a random injective map, a permutation when the grids are equal), drawn
    independently for every image; otherwise positions are drawn uniformly.

    Returns:
        (N, S_q) long indices into the S_k key positions.
    """
    if s_q <= s_k:
        noise = torch.rand(n, s_k, device=device, generator=generator)
        return noise.argsort(dim=1)[:, :s_q]
    return torch.randint(
        0, s_k, (n, s_q), device=device, generator=generator)


def gather_positions(k_feat: Tensor, indices: Tensor) -> Tensor:
    """Pick, for every query position, the key vector at its matched position.

    Args:
        k_feat: (N, C, S_k) key features.
        indices: (N, S_q) indices into S_k.

    Returns:
        (N, C, S_q): column s is ``k_feat[:, :, indices[:, s]]``.
    """
    index = indices.unsqueeze(1).expand(-1, k_feat.size(1), -1)
    return torch.gather(k_feat, 2, index)


def pool_to_grid(feat: Tensor, grid: Union[int, Tuple[int, int]]) -> Tensor:
    """Average-pool an (N, C, H, W) map to a grid, flattened: (N, C, cells).

    Matching indices must live on the dense output's grid. The authors'
    code and MMSelfSup match on the raw C5 map, so ``num_grid`` other than
    the C5 size crashes in their gather; pooling the backbone map to the
    same grid first is what the paper describes ("downsampled to match the
    resolution of the dense feature vectors"). No-op when sizes agree.
    """
    grid = (grid, grid) if isinstance(grid, int) else tuple(grid)
    if tuple(feat.shape[-2:]) != grid:
        feat = F.adaptive_avg_pool2d(feat, grid)
    return feat.flatten(2)
