"""A region tree kept as its merges, and the ultrametric distance it defines.

A tree over ``R`` leaf regions (ids ``0 .. R-1``) is written as ``R - 1``
merges. Merge ``k`` joins two existing nodes ``children[k] = (a, b)`` into a
new node with id ``R + k`` at height ``heights[k]``. The distance between two
leaf regions is the height of the merge that first puts them in one node, i.e.
the altitude of their lowest common ancestor in the tree (``d_T`` of the paper).

With ``uint8`` child ids and ``float16`` heights a 40-region tree takes
39 * 4 = 156 bytes and rebuilds the distance matrix exactly.
"""
from typing import Optional

import numpy as np

MAX_REGIONS = 128  # node ids go up to 2R - 2, which must fit in a uint8


def distance_matrix_from_merges(children: np.ndarray, heights: np.ndarray,
                                num_regions: Optional[int] = None) -> np.ndarray:
    """Rebuild the leaf-to-leaf distance matrix of a tree given by its merges.

    Args:
        children: ``(R - 1, 2)`` integer node ids; merge ``k`` creates node ``R + k``.
        heights: ``(R - 1,)`` merge heights (any float dtype; returned as float32).
        num_regions: ``R``; defaults to ``len(children) + 1``.

    Returns:
        ``float32 (R, R)``: ``d[i, j]`` = height of the merge joining leaves i and j,
        0 on the diagonal.

    Raises:
        ValueError: if the merges do not form one tree over the ``R`` leaves.
    """
    children = np.asarray(children, dtype=np.int64).reshape(-1, 2)
    heights = np.asarray(heights).reshape(-1)
    r = len(children) + 1 if num_regions is None else int(num_regions)
    if len(children) != r - 1 or len(heights) != r - 1:
        raise ValueError(f'{r} regions need {r - 1} merges and heights, '
                         f'got {len(children)} and {len(heights)}')
    dist = np.zeros((r, r), np.float32)
    members = [[i] for i in range(r)]  # leaves under each node; None once merged
    for k, (a, b) in enumerate(children):
        if a == b or not (0 <= a < r + k and 0 <= b < r + k):
            raise ValueError(f'merge {k} has invalid children ({a}, {b})')
        left, right = members[a], members[b]
        if left is None or right is None:
            raise ValueError(f'merge {k} reuses a node that was already merged')
        h = np.float32(heights[k])
        dist[np.ix_(left, right)] = h
        dist[np.ix_(right, left)] = h
        members[a] = members[b] = None
        members.append(left + right)
    return dist


def merges_from_parents(parents: np.ndarray, altitudes: np.ndarray,
                        num_leaves: int) -> tuple:
    """Binary merges of a (possibly non-binary) tree in parent-array form.

    Args:
        parents: ``parents[n]`` of every node; leaves are ``0 .. num_leaves-1``,
            parents have larger ids than their children, the root is its own parent.
        altitudes: Height of every node.
        num_leaves: Number of leaves ``R``.

    Returns:
        ``(children int64 (R-1, 2), heights (R-1,))`` in the order of
        :func:`distance_matrix_from_merges`. A node with ``c`` children gives
        ``c - 1`` merges at its altitude.
    """
    parents = np.asarray(parents)
    node_of = {}  # tree node -> id in merge numbering
    children, heights = [], []
    next_id = num_leaves
    for leaf in range(num_leaves):
        node_of[leaf] = leaf
    pending = {}  # tree node -> merge id built so far from its first children
    for n in range(len(parents)):  # children before parents
        if n >= num_leaves:
            node_of[n] = pending.pop(n)
        p = int(parents[n])
        if p == n:
            continue
        if p in pending:
            children.append((pending[p], node_of[n]))
            heights.append(altitudes[p])
            pending[p] = next_id
            next_id += 1
        else:
            pending[p] = node_of[n]
    if pending:
        raise ValueError('parent array is not a single tree')
    return (np.asarray(children, np.int64).reshape(-1, 2),
            np.asarray(heights, dtype=np.asarray(altitudes).dtype))


def is_ultrametric(dist: np.ndarray, atol: float = 0.0) -> bool:
    """True if ``dist`` is symmetric, zero on the diagonal and
    ``d(a, c) <= max(d(a, b), d(b, c))`` for every triple."""
    d = np.asarray(dist, np.float64)
    if d.ndim != 2 or d.shape[0] != d.shape[1]:
        return False
    if not np.array_equal(d, d.T) or np.any(np.diag(d) != 0):
        return False
    # bound[a, c] = min over b of max(d[a, b], d[b, c])
    bound = np.maximum(d[:, :, None], d[None, :, :]).min(axis=1)
    return bool(np.all(d <= bound + atol))
