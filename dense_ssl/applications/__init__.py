"""Applications of a dense embedding (HG sec. 5.2 / 5.3): segment retrieval
and instance mask tracking, with their metrics. Import explicitly::

    from dense_ssl.applications import segment_retrieval, mask_tracking
"""
from . import mask_tracking, metrics, segment_retrieval
from .embedding import DenseEmbedder, upsample_embedding
from .mask_tracking import MaskPropagator, propagate
from .metrics import boundary_f_measure, confusion_matrix, iou_from_confusion, region_similarity
from .segment_retrieval import (
    SegmentBank,
    bank_from_image,
    kmeans_segments,
    predict_image,
    segment_prototypes,
)

__all__ = [
    'mask_tracking', 'metrics', 'segment_retrieval', 'DenseEmbedder',
    'upsample_embedding', 'MaskPropagator', 'propagate',
    'boundary_f_measure', 'confusion_matrix', 'iou_from_confusion',
    'region_similarity', 'SegmentBank', 'bank_from_image', 'kmeans_segments',
    'predict_image', 'segment_prototypes'
]
