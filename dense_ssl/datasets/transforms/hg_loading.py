"""Read an image's region hierarchy from a store and check it fits the image."""
import os
from typing import Dict, Optional, Tuple

from mmcv.transforms import BaseTransform

from dense_ssl.registry import TRANSFORMS

# One open store per (process, path): dataloader workers open their own, and
# the small per-chunk indexes are read once per worker, not once per image.
_STORES: Dict[Tuple[int, str], object] = {}


def open_store(path: str):
    """The :class:`dense_ssl.grouping.HierarchyStore` at ``path``, cached."""
    key = (os.getpid(), path)
    store = _STORES.get(key)
    if store is None:
        from dense_ssl.grouping import HierarchyStore
        store = _STORES[key] = HierarchyStore(path)
    return store


class HierarchyMismatchError(ValueError):
    """The store has no hierarchy for an image, or one of another size."""


@TRANSFORMS.register_module()
class HGLoadHierarchy(BaseTransform):
    """Load the region map and region distances of ``results['img']``.

    The store and the image's id in it come from the dataset
    (:class:`~dense_ssl.datasets.HierarchyDataset` sets ``hg_store`` and
    ``hg_id``) unless ``store`` is given here. Put it right after the image
    loading: a missing hierarchy or one computed on an image of another size
    stops here with an error naming the image and the store, not later as a
    shape error inside an augmentation.

    Required keys: ``img``, ``img_path``, ``hg_id``, ``hg_store`` (unless
    ``store``). Added: ``hg_labels`` (uint8 region map covering the whole image;
    at the store's grouping size unless ``full_size``), ``hg_dist`` (float32
    ``R x R``).

    Args:
        store: Path of a store to use instead of ``results['hg_store']``.
        full_size: Upsample the region map to the image size here (as
            ``HierarchyStore.get`` does). The crop reads the compact map
            directly and gives the same views, so the default skips that.
    """

    def __init__(self, store: Optional[str] = None,
                 full_size: bool = False) -> None:
        self.store = store
        self.full_size = full_size

    def transform(self, results: dict) -> dict:
        path = self.store or results['hg_store']
        store = open_store(path)
        image_id = results['hg_id']
        img_path = results.get('img_path', image_id)
        if image_id not in store:
            raise HierarchyMismatchError(
                f'no hierarchy for image {img_path} (id {image_id!r}) in the '
                f'store {path}; build it with tools/build_hierarchy.py on '
                'the same image list')
        tree = store.get_tree(image_id)
        img_hw = tuple(results['img'].shape[:2])
        if (tree.height, tree.width) != img_hw:
            raise HierarchyMismatchError(
                f'hierarchy of image {img_path} (id {image_id!r}) in the store '
                f'{path} was computed on a {tree.height}x{tree.width} image, '
                f'but the image read now is {img_hw[0]}x{img_hw[1]} (h x w): '
                'the file changed since the store was built (or the loader '
                'rotates by EXIF differently); rebuild the store')
        if self.full_size:
            hier = tree.expand()
            results['hg_labels'], results['hg_dist'] = hier.labels, hier.dist
        else:
            results['hg_labels'] = tree.labels
            results['hg_dist'] = tree.distance_matrix().astype('float32')
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(store={self.store!r}, '
                f'full_size={self.full_size})')
