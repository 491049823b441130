"""Pixel sampling from region hierarchies (HG) and view geometry."""
from .hier_sampling import (HierarchySampler, HierSamples,
                            choose_anchor_regions, downsample_labels,
                            draw_regions, negative_probs, pad_distances,
                            positive_probs, reference_indices, region_counts,
                            sample_in_regions)
from .targets import HGTargets, collect_hg_targets, collect_view_geometry
from .view_geometry import grid_to_image, image_to_grid, map_between_views

__all__ = [
    'HierarchySampler', 'HierSamples', 'choose_anchor_regions',
    'downsample_labels', 'draw_regions', 'negative_probs', 'pad_distances',
    'positive_probs', 'reference_indices', 'region_counts',
    'sample_in_regions', 'HGTargets', 'collect_hg_targets',
    'collect_view_geometry', 'grid_to_image',
    'image_to_grid', 'map_between_views'
]
