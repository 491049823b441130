"""Read the HG grouping targets that the data pipeline packs per sample."""
from dataclasses import dataclass
from typing import Sequence, Tuple

import torch
from torch import Tensor

from .hier_sampling import pad_distances

FIELDS = ('hg_labels', 'hg_dist', 'hg_boxes', 'hg_flips')
GEOMETRY_FIELDS = ('hg_boxes', 'hg_flips')


@dataclass
class HGTargets:
    """Batch of grouping targets, on one device.

    Attributes:
        labels: (N, 2, H, W) long, leaf region of every view pixel.
        dist: (N, R, R) tree distances padded to the batch's largest R.
        dist_valid: (N, R) which rows of ``dist`` are real regions.
        boxes: (N, 2, 4) crop box (x0, y0, x1, y1) of each view, original
            image pixels. flips: (N, 2) bool, view flipped after cropping.
    """
    labels: Tensor
    dist: Tensor
    dist_valid: Tensor
    boxes: Tensor
    flips: Tensor


def collect_hg_targets(data_samples: Sequence, device: torch.device
                       ) -> HGTargets:
    """Stack ``hg_labels``, ``hg_dist``, ``hg_boxes``, ``hg_flips``.

    Raises:
        ValueError: a sample lacks a field, or a label exceeds its image's
            distance matrix (the label map and the tree do not match).
    """
    if not data_samples:
        raise ValueError('HG algorithms need data_samples carrying '
                         f'{FIELDS}; got none')
    for i, ds in enumerate(data_samples):
        missing = [f for f in FIELDS if f not in ds]
        if missing:
            raise ValueError(
                f'data_samples[{i}] lacks {missing}: train HG models with the '
                'HG data pipeline, which packs the region labels, tree '
                'distances, crop boxes and flips of both views')
    labels = torch.stack([ds.hg_labels for ds in data_samples]).to(
        device, torch.long)
    dist, dist_valid = pad_distances(
        [ds.hg_dist.to(device, torch.float32) for ds in data_samples])
    sizes = dist_valid.sum(dim=1)
    if bool((labels.flatten(1).amax(dim=1) >= sizes).any()) or bool(
            (labels < 0).any()):
        raise ValueError('hg_labels hold region ids outside 0..R-1 of their '
                         'hg_dist matrix')
    boxes, flips = collect_view_geometry(data_samples, device)
    return HGTargets(labels, dist, dist_valid, boxes, flips)


def collect_view_geometry(data_samples: Sequence, device: torch.device
                          ) -> Tuple[Tensor, Tensor]:
    """Crop boxes (N, V, 4) and flips (N, V) of the views of a batch.

    The convention (box in original pixels, flip after the crop) is the one
    of :mod:`~dense_ssl.models.sampling.view_geometry`; the fields are packed
    by ``PackHGInputs`` (and ``PackViewGeometry``) as ``hg_boxes`` and
    ``hg_flips``.
    """
    for i, ds in enumerate(data_samples or ()):
        missing = [f for f in GEOMETRY_FIELDS if f not in ds]
        if missing:
            raise ValueError(
                f'data_samples[{i}] lacks {missing}: the views must carry '
                'their crop boxes and flips (a pipeline with '
                'HGRandomResizedCropFlip and PackHGInputs / PackViewGeometry)')
    if not data_samples:
        raise ValueError(f'view geometry needs data_samples carrying '
                         f'{GEOMETRY_FIELDS}; got none')
    boxes = torch.stack([ds.hg_boxes for ds in data_samples]).to(
        device, torch.float32)
    flips = torch.stack([torch.as_tensor(ds.hg_flips) for ds in data_samples
                         ]).to(device, torch.bool)
    return boxes, flips
