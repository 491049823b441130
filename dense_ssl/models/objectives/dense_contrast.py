"""Dense contrast: DenseCL's InfoNCE between matched cells of the two views."""
import math
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

from dense_ssl.registry import MODELS
from ..losses import dense_info_nce, info_nce
from ..sampling.view_geometry import map_between_views
from ..sampling.targets import collect_view_geometry
from ..utils import (gather_positions, match_max_sim, match_random,
                     pool_to_grid)
from .base import EncodedViews, Objective, ObjectiveOutput

MATCHINGS = ('max_sim_backbone', 'max_sim_projection', 'random',
             'geometric')


@MODELS.register_module()
class DenseContrast(Objective):
    """Dense InfoNCE: each query cell against its matched key cell + queue.

    Reads the neck's dense outputs ``[_, dense (N, D, S), pooled (N, D)]``
    (``DenseProjectionNeck``); negatives come from the queue ``queue``,
    which receives the pooled dense keys (the authors' choice).

    Args:
        match: how the positive key cell of each query cell is found:
            ``'max_sim_backbone'`` (max-sim F of the paper, default): cosine
            argmax between the backbone maps pooled to the dense grid;
            ``'max_sim_projection'`` (max-sim Theta): between the dense
            embeddings; ``'random'``: a random cell, different per query
            cell; ``'geometric'``: the key cell that covers the same image
            point as the query cell's centre, from the views' crop boxes and
            flips (PixPro / VICRegL); query cells outside the key view are
            left out and their covered share is logged as ``dense_covered``.
            Needs a pipeline that records the geometry (``hg_boxes`` /
            ``hg_flips``, see :mod:`dense_ssl.models.sampling.view_geometry`).
        weight: factor of the term (DenseCL's ``loss_lambda``, set through
            the model's ``loss_lambda``); None: unweighted.
        loss_name: name of the term (MMSelfSup's ``loss_dense``).
        queue: name of the queue buffer on the model.
    """

    def __init__(self, match: str = 'max_sim_backbone',
                 weight: Optional[float] = None,
                 loss_name: str = 'loss_dense',
                 queue: str = 'queue2') -> None:
        if match not in MATCHINGS:
            raise ValueError(f'match={match!r}; choose one of {MATCHINGS}')
        self.match = match
        self.weight = weight
        self.loss_name = loss_name
        self.queue = queue

    def build(self, model) -> None:
        model.add_queue(self.queue)

    def __call__(self, model, views: EncodedViews,
                 data_samples) -> ObjectiveOutput:
        with torch.no_grad():
            _, k_grid, k_pooled = views.k_out
            k_grid = views.unshuffle(F.normalize(k_grid, dim=1))
            k_pooled = views.unshuffle(F.normalize(k_pooled, dim=1))
        q_grid = F.normalize(views.q_out[1], dim=1)
        losses = {}
        queue = getattr(model, self.queue)
        if self.match == 'geometric':
            boxes, flips = collect_view_geometry(data_samples, q_grid.device)
            grid = dense_grid(model.neck, views.q_levels[-1].shape[-2:],
                              q_grid.size(2))
            indices, covered = map_between_views(
                cell_indices(q_grid), boxes, flips, grid)
            loss = covered_info_nce(q_grid, gather_positions(k_grid, indices),
                                    covered, queue, model.temperature)
            losses['dense_covered'] = covered.float().mean()
        else:
            indices = self.match_positions(model, views, q_grid, k_grid)
            loss = dense_info_nce(q_grid, gather_positions(k_grid, indices),
                                  queue, model.temperature)
        if self.weight is not None:
            loss = loss * self.weight
        return ObjectiveOutput({self.loss_name: loss, **losses},
                               {self.queue: k_pooled})

    @torch.no_grad()
    def match_positions(self, model, views: EncodedViews, q_grid: Tensor,
                        k_grid: Tensor) -> Tensor:
        """(N, S) index of the positive key cell of every query cell
        (the feature-based matchings; ``'geometric'`` is in ``__call__``)."""
        n, _, s = q_grid.shape
        if self.match == 'random':
            return match_random(n, s, k_grid.size(2), device=q_grid.device)
        if self.match == 'max_sim_projection':
            return match_max_sim(q_grid, k_grid, normalize=False)
        grid = dense_grid(model.neck, views.q_levels[-1].shape[-2:], s)
        # Indices must live on the dense output's grid (see pool_to_grid).
        k_map = views.unshuffle(views.k_levels[-1])
        return match_max_sim(
            pool_to_grid(views.q_levels[-1].detach(), grid),
            pool_to_grid(k_map, grid))


def cell_indices(q_grid: Tensor) -> Tensor:
    """(N, S) flat cell numbers 0..S-1 of every image."""
    n, _, s = q_grid.shape
    return torch.arange(s, device=q_grid.device).expand(n, s)


def covered_info_nce(q_grid: Tensor, k_matched: Tensor, covered: Tensor,
                     queue: Tensor, temperature: float) -> Tensor:
    """Dense InfoNCE over the query cells that the key view covers.

    Args:
        q_grid, k_matched: (N, D, S) as :func:`dense_info_nce`.
        covered: (N, S) bool, cells whose positive exists.

    Returns:
        Mean over the covered cells; a zero that keeps the graph (every
        parameter still gets a gradient) when none is covered.
    """
    if not bool(covered.any()):
        return (q_grid * 0).sum()
    d = q_grid.size(1)
    q = q_grid.transpose(1, 2)[covered].reshape(-1, d)
    k = k_matched.transpose(1, 2)[covered].reshape(-1, d)
    return info_nce(q, k, queue, temperature)


def dense_grid(neck, map_hw: Tuple[int, int],
               cells: int) -> Tuple[int, int]:
    """(rows, cols) of the dense output, which has ``cells`` cells."""
    num_grid = getattr(neck, 'num_grid', None)
    if num_grid is not None:
        grid = (num_grid, num_grid)
    elif map_hw[0] * map_hw[1] == cells:  # the backbone's own grid
        grid = tuple(map_hw)
    else:
        side = math.isqrt(cells)
        grid = (side, side)
    if grid[0] * grid[1] != cells:
        raise ValueError(
            f'cannot place the {cells} dense cells of the neck on a grid '
            f'(backbone map {tuple(map_hw)}, neck num_grid={num_grid})')
    return grid
