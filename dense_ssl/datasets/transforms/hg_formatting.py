"""Two views of an image with their region maps, packed for an HG model.

MMSelfSup's ``MultiView`` keeps only ``img`` of each view (and deep-copies the
whole results dict per view); ``PackSelfSupInputs`` cannot carry extra tensor
fields. These two keep the HG data contract instead: each
``SelfSupDataSample`` gets

* ``hg_labels``: ``LongTensor (V, H, W)``, the region id of every view pixel;
* ``hg_dist``: ``FloatTensor (R, R)``, the image's region tree distances;
* ``hg_boxes``: ``FloatTensor (V, 4)``, each view's crop box ``(x0, y0, x1, y1)``
  in original image pixels (x1/y1 exclusive);
* ``hg_flips``: ``BoolTensor (V,)``, whether the view was mirrored after the crop

(see :mod:`dense_ssl.datasets.transforms.hg_geometry` for the pixel mapping).
"""
from typing import List, Sequence, Union

import numpy as np
import torch
from mmcv.transforms import BaseTransform, Compose
from mmselfsup.structures import SelfSupDataSample

from dense_ssl.registry import TRANSFORMS

VIEW_KEYS = ('img', 'hg_box', 'hg_flip')  # + 'hg_labels' when loaded


@TRANSFORMS.register_module()
class HGMultiView(BaseTransform):
    """Run a per-view pipeline ``num_views`` times and keep every view's
    image, region map, crop box and flip.

    Each view starts from a shallow copy of ``results``: the per-view pipeline
    must not modify the source arrays in place (:class:`HGRandomResizedCropFlip`,
    which should come first, makes new ones).

    Args:
        transforms: The per-view pipeline (list of transform configs).
        num_views: Number of views (HG and the contract: 2).
    """

    def __init__(self, transforms: Sequence[Union[dict, callable]],
                 num_views: int = 2) -> None:
        if num_views < 1:
            raise ValueError(f'num_views must be >= 1, got {num_views}')
        self.pipeline = Compose(list(transforms))
        self.num_views = num_views

    def transform(self, results: dict) -> dict:
        views = []
        for _ in range(self.num_views):
            out = self.pipeline(dict(results))
            if out is None:  # a transform asked to skip this sample
                return None
            missing = [k for k in VIEW_KEYS if k not in out]
            if missing:
                raise KeyError(
                    f'the per-view pipeline did not produce {missing}: it '
                    'needs HGRandomResizedCropFlip (after HGLoadHierarchy '
                    'for the region maps)')
            views.append(out)
        keys = VIEW_KEYS + (('hg_labels', ) if 'hg_labels' in views[0]
                            else ())
        for key in keys:
            results[key] = [v[key] for v in views]
        results['img_shape'] = views[0]['img'].shape[:2]
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(num_views={self.num_views}, '
                f'pipeline={self.pipeline})')


def _image_tensor(img: np.ndarray) -> torch.Tensor:
    if img.ndim == 2:
        img = img[..., None]
    return torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))


@TRANSFORMS.register_module()
class PackHGInputs(BaseTransform):
    """Pack the views and the HG fields into ``inputs`` / ``data_samples``.

    Required keys: ``img`` (list of views), ``hg_box`` (list), ``hg_flip``
    (list); ``hg_labels`` (list) and ``hg_dist`` when the hierarchy was
    loaded (without them only the view geometry is packed). Output: ``inputs`` (list of
    ``uint8 (3, H, W)`` tensors, one per view, as ``PackSelfSupInputs``) and
    ``data_samples`` (a ``SelfSupDataSample`` with the fields of the module
    docstring and ``meta_keys`` as metainfo).

    Args:
        meta_keys: Keys copied into the metainfo when present.
    """

    def __init__(self, meta_keys: Sequence[str] = ('img_path', 'ori_shape',
                                                    'img_shape', 'hg_id')
                 ) -> None:
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: dict) -> dict:
        imgs: List[np.ndarray] = results['img']
        if not isinstance(imgs, list):
            raise TypeError('PackHGInputs expects a list of views in "img" '
                            '(put HGMultiView before it)')
        sample = SelfSupDataSample()
        if 'hg_labels' in results:  # geometry-only views have none
            sample.hg_labels = torch.from_numpy(
                np.stack(results['hg_labels']).astype(np.int64))
            sample.hg_dist = torch.from_numpy(
                np.asarray(results['hg_dist'], np.float32))
        sample.hg_boxes = torch.from_numpy(
            np.stack(results['hg_box']).astype(np.float32))
        sample.hg_flips = torch.tensor(results['hg_flip'], dtype=torch.bool)
        sample.set_metainfo(
            {k: results[k] for k in self.meta_keys if k in results})
        return dict(inputs=[_image_tensor(i) for i in imgs],
                    data_samples=sample)

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(meta_keys={self.meta_keys})'
