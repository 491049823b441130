"""Running the dense probes on a model: labelled folders, feature maps, scores.

The glue shared by ``tools/dense_probe.py``, :class:`DenseProbeHook` and the
CPU study; the probes themselves are the pure functions of
:mod:`.dense_probe`.

* :func:`load_labelled_folder`: a folder of images + one of label PNGs of
  the same names (optionally resized to one size, labels by nearest).
* :class:`ModelMaps`: one (D, h, w) map per photo from a model's backbone
  stage or its dense embedding (``extract_dense``), on a built model (the
  hook) or one built from a config (the tool), padded as
  :class:`~dense_ssl.applications.embedding.DenseEmbedder` pads.
* :func:`run_probes`: the linear and nearest-neighbour probes, and the BSDS
  grouping scores of K-means of the maps, as one flat dict of figures.
"""
import os.path as osp
import sys
import time
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np
import torch
from torch import Tensor

from dense_ssl.applications.embedding import DenseEmbedder

from . import dense_probe as dp

PROBES = ('linear', 'nn', 'grouping')
#: the K of K-means grouping (the "thresholds" of the BSDS benchmarks)
GROUPING_KS = (2, 4, 8, 16)


@dataclass
class LabelledSet:
    """Images (H, W, 3) uint8 RGB and their (N, H, W) int64 labels."""
    names: List[str]
    images: List[np.ndarray]
    labels: Tensor


def load_labelled_folder(images_dir: str, labels_dir: str,
                         size: Optional[int] = None,
                         option: str = '--images') -> LabelledSet:
    """Every image of ``images_dir`` and ``labels_dir/<stem>.png``.

    Args:
        size: resize images (bilinear) and labels (nearest) to size x size;
            None: all images must already share one size.
    """
    import cv2

    from dense_ssl.applications.image_io import (
        list_images,
        matching_file,
        read_index_png,
        read_rgb,
        stem,
    )
    names, images, labels = [], [], []
    for path in list_images(images_dir, option):
        img = read_rgb(path)
        lab = read_index_png(matching_file(labels_dir, stem(path),
                                           option.replace('images',
                                                          'labels')))
        if lab.shape != img.shape[:2]:
            raise ValueError(f'{path} is {img.shape[1]}x{img.shape[0]} but '
                             f'its labels are {lab.shape[1]}x{lab.shape[0]}')
        if size is not None:
            img = cv2.resize(img, (size, size), interpolation=cv2.INTER_LINEAR)
            lab = cv2.resize(lab.astype(np.int32), (size, size),
                             interpolation=cv2.INTER_NEAREST)
        names.append(stem(path))
        images.append(img)
        labels.append(lab.astype(np.int64))
    shapes = {lab.shape for lab in labels}
    if len(shapes) > 1:
        raise ValueError(f'{option} {images_dir}: images of {len(shapes)} '
                         'sizes; give --size to resize them to one')
    return LabelledSet(names, images, torch.from_numpy(np.stack(labels)))


def num_classes_of(sets: Sequence[LabelledSet],
                   ignore_index: Optional[int]) -> int:
    """1 + the largest label that is not ``ignore_index``."""
    top = -1
    for s in sets:
        lab = s.labels if ignore_index is None else \
            s.labels[s.labels != ignore_index]
        if lab.numel():
            top = max(top, int(lab.max()))
    if top < 0:
        raise ValueError('no labelled pixel in the sets')
    return top + 1


class ModelMaps(DenseEmbedder):
    """Feature maps of photos from a model: a backbone stage or the dense
    embedding.

    Build it from a config (as :class:`DenseEmbedder`, plus
    ``cfg_options``) or wrap a model already built with :meth:`of_model`.

    Args:
        feature: ``'backbone'`` or ``'neck'`` (the model's
            ``extract_dense``: the HG hypercolumn when it has one).
        stage: which output of ``extract_feat`` for ``'backbone'``
            (``-1``: the last; the indices the backbone's ``out_indices``
            gives).
    """

    def __init__(self, config: str, checkpoint: Optional[str] = None,
                 device: str = 'cpu', feature: str = 'backbone',
                 stage: int = -1, cfg_options: Optional[Dict] = None) -> None:
        check_feature(feature)
        super().__init__(config, checkpoint, device,
                         'backbone' if feature == 'backbone' else 'auto',
                         cfg_options=cfg_options)
        self.stage = stage

    @classmethod
    def of_model(cls, model: torch.nn.Module, feature: str = 'backbone',
                 stage: int = -1) -> 'ModelMaps':
        """Wrap a built model (e.g. the one a Runner trains): its data
        preprocessor's mean / std, its device; the model is not copied."""
        check_feature(feature)
        self = cls.__new__(cls)
        self.model = model
        self.feature = 'backbone' if feature == 'backbone' else 'auto'
        self.stage = stage
        pre = getattr(model, 'data_preprocessor', None)
        mean = getattr(pre, 'mean', None)
        std = getattr(pre, 'std', None)
        self.mean = (torch.tensor((123.675, 116.28, 103.53)) if mean is None
                     else mean.detach().float().cpu()).view(1, 3, 1, 1)
        self.std = (torch.tensor((58.395, 57.12, 57.375)) if std is None
                    else std.detach().float().cpu()).view(1, 3, 1, 1)
        self.device = next(model.parameters()).device
        return self

    @torch.no_grad()
    def _forward(self, x: Tensor) -> Tensor:
        if self.feature == 'backbone':
            return self.model.extract_feat([x])[self.stage]
        return self.model.extract_dense(x)

    def maps(self, images: Sequence[np.ndarray], label: str = 'features',
             progress: Optional[Callable[[str, int, int], None]] = None
             ) -> Tensor:
        """(N, D, h, w) maps of same-size images (CPU, float32)."""
        out = []
        for i, img in enumerate(images):
            out.append(self(img)[0])
            if progress is not None:
                progress(label, i + 1, len(images))
        return torch.stack(out)


def check_feature(feature: str) -> None:
    if feature not in ('backbone', 'neck'):
        raise ValueError(f"feature must be 'backbone' or 'neck', got "
                         f'{feature!r}')


def print_progress(label: str, done: int, total: int, stream=None) -> None:
    """A line at every tenth of the work (and at the end), on stderr."""
    step = max(1, total // 10)
    if done == total or done % step == 0:
        print(f'{label}: {done}/{total}', file=stream or sys.stderr,
              flush=True)


def grouping_scores(photo_paths: Sequence[str],
                    segs: Sequence[Dict[int, np.ndarray]],
                    gt_dir: str) -> Dict:
    """BSDS region and boundary benchmarks of K-means segmentations.

    The segmentations of one photo for each K play the role of the
    benchmark's thresholds (as ``tools/eval_bsds.py`` reads a ``segs``
    result), so ODS = the best K for the whole set, OIS = per image.
    ``gt_dir`` holds ``<stem>.mat`` (BSDS ``groundTruth/val``).
    """
    from .bsds import collect_boundaries, collect_regions, evaluate_boundaries, evaluate_regions
    from .bsds_run import load_ground_truth
    regions, bounds = [], []
    for path, by_k in zip(photo_paths, segs):
        image_id = osp.splitext(osp.basename(path))[0]
        gt = load_ground_truth(osp.join(gt_dir, image_id + '.mat'))
        ordered = [by_k[k].astype(np.int64) for k in sorted(by_k)]
        regions.append(evaluate_regions(gt, segs=ordered))
        bounds.append(evaluate_boundaries(gt, segs=ordered))
    reg, bdry = collect_regions(regions), collect_boundaries(bounds)
    return dict(covering_ods=reg.cover_ods, covering_ois=reg.cover_ois,
                pri_ods=reg.pri_ods, voi_ods=reg.voi_ods,
                bdry_ods_f=bdry.ods_f, bdry_ois_f=bdry.ois_f,
                grouping_best_k=int(sorted(segs[0])[int(reg.cover_t) - 1]))


def kmeans_segmentations(embedding: Tensor, size: Sequence[int],
                         ks: Sequence[int] = GROUPING_KS, seed: int = 0,
                         standardize: bool = False) -> Dict[int, np.ndarray]:
    """{K: (H, W) uint16 segment ids from 1} of one (D, h, w) embedding,
    each cell's id repeated over its pixels."""
    h, w = size
    segs = {}
    for k in ks:
        lab = torch.from_numpy(dp.kmeans_grouping(embedding, k, seed,
                                                  standardize))
        sh, sw = -(-h // lab.shape[-2]), -(-w // lab.shape[-1])
        up = lab.repeat_interleave(sh, 0).repeat_interleave(sw, 1)
        segs[k] = up[:h, :w].numpy().astype(np.uint16) + 1
    return segs


def run_probes(maps: ModelMaps, train: Optional[LabelledSet],
               val: Optional[LabelledSet], num_classes: Optional[int] = None,
               ignore_index: Optional[int] = 255,
               probes: Sequence[str] = ('linear', 'nn'),
               grouping_photos: Sequence[str] = (),
               grouping_gt: Optional[str] = None,
               ks: Sequence[int] = GROUPING_KS,
               progress: Optional[Callable[[str, int, int], None]] = None
               ) -> Dict[str, float]:
    """The chosen probes on one model; a flat dict of figures.

    Keys: ``linear_miou``, ``linear_train_miou`` (linear), ``nn_miou``
    (nn), the keys of :func:`grouping_scores` (grouping), and
    ``probe_seconds``.
    """
    from dense_ssl.applications.image_io import read_rgb
    unknown = set(probes) - set(PROBES)
    if unknown:
        raise ValueError(f'unknown probes {sorted(unknown)}; choose among '
                         f'{PROBES}')
    t0 = time.time()
    out: Dict[str, float] = {}
    if {'linear', 'nn'} & set(probes):
        if train is None or val is None:
            raise ValueError('the linear / nn probes need a train and a val '
                             'set')
        if num_classes is None:
            num_classes = num_classes_of((train, val), ignore_index)
        tr = maps.maps(train.images, 'train features', progress)
        va = maps.maps(val.images, 'val features', progress)
        if 'linear' in probes:
            lin = dp.linear_probe(tr, train.labels, va, val.labels,
                                  num_classes, ignore_index)
            out.update(linear_miou=lin['miou'],
                       linear_train_miou=lin['train_miou'])
        if 'nn' in probes:
            out['nn_miou'] = dp.nn_retrieval(tr, train.labels, va,
                                             val.labels, num_classes,
                                             ignore_index)['miou']
    if 'grouping' in probes:
        if not grouping_photos or grouping_gt is None:
            raise ValueError('the grouping probe needs photos and a '
                             'ground-truth folder')
        segs = []
        for i, path in enumerate(grouping_photos):
            img = read_rgb(path)
            segs.append(kmeans_segmentations(maps(img)[0], img.shape[:2],
                                             ks))
            if progress is not None:
                progress('grouping', i + 1, len(grouping_photos))
        out.update(grouping_scores(grouping_photos, segs, grouping_gt))
    out['probe_seconds'] = time.time() - t0
    return out
