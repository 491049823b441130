"""Grouping primitive: edges -> OWT-UCM -> region hierarchy (no OpenMMLab needed).

HG (Zhang & Maire, NeurIPS 2020) turns every training image into a region tree:
a contour detector gives an edge map (:mod:`.edges`, :mod:`.hed`), OWT-UCM turns
it into a hierarchy whose finest level is cut to at most K = 40 regions
(:mod:`.ucm`), and the distance between two regions is the height at which they
merge (:mod:`.merges`). :class:`HierarchyBuilder` does it for one image
(:mod:`.hierarchy`); :class:`HierarchyStore` reads what ``tools/build_hierarchy.py``
wrote (:mod:`.store`).
"""
from .edges import build_edge_detector
from .hierarchy import Hierarchy, HierarchyBuilder, RegionTree, resize_labels
from .merges import distance_matrix_from_merges, is_ultrametric, merges_from_parents
from .store import HierarchyStore, decode_region_tree, encode_region_tree

__all__ = [
    'build_edge_detector', 'Hierarchy', 'HierarchyBuilder', 'RegionTree', 'resize_labels',
    'distance_matrix_from_merges', 'is_ultrametric', 'merges_from_parents', 'HierarchyStore',
    'decode_region_tree', 'encode_region_tree'
]
