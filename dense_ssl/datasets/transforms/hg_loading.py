"""Read an image's region hierarchy from a store and check it fits the image."""
import os.path as osp
from typing import Optional

from mmcv.transforms import BaseTransform
from mmengine.fileio import get

from dense_ssl.grouping.store import open_store  # noqa: F401 (its old home)
from dense_ssl.image_io import fingerprint_bytes, fingerprint_file
from dense_ssl.registry import TRANSFORMS


class HierarchyMismatchError(ValueError):
    """The store has no hierarchy for an image, or one of another size."""


@TRANSFORMS.register_module()
class HGLoadHierarchy(BaseTransform):
    """Load the region map and region distances of ``results['img']``.

    The store and the image's id in it come from the dataset
    (:class:`~dense_ssl.datasets.HierarchyDataset` sets ``hg_store`` and
    ``hg_id``) unless ``store`` is given here. Put it right after the image
    loading: a missing hierarchy, one computed on an image of another size or
    on another file (its fingerprint, recorded by the builder, differs) stops
    here with an error naming the image and the store, not later as a shape
    error inside an augmentation or as silent training on a wrong tree.

    Required keys: ``img``, ``img_path``, ``hg_id``, ``hg_store`` (unless
    ``store``). Added: ``hg_labels`` (uint8 region map covering the whole image;
    at the store's grouping size unless ``full_size``), ``hg_dist`` (float32
    ``R x R``).

    Args:
        store: Path of a store to use instead of ``results['hg_store']``.
        full_size: Upsample the region map to the image size here (as
            ``HierarchyStore.get`` does). The crop reads the compact map
            directly and gives the same views, so the default skips that.
        check_fingerprint: Check that the image file is the one the tree
            was built from (size and first/last 64 KiB, about 0.05 ms per
            image; stores written before format 2 have no fingerprints).
    """

    def __init__(self, store: Optional[str] = None,
                 full_size: bool = False,
                 check_fingerprint: bool = True) -> None:
        self.store = store
        self.full_size = full_size
        self.check_fingerprint = check_fingerprint

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
                'the file changed since the store was built; rebuild the store')
        expected = store.fingerprint(image_id) if self.check_fingerprint else None
        if expected and 'img_path' in results:
            found = (fingerprint_file(img_path) if osp.isfile(img_path) else
                     fingerprint_bytes(get(img_path)))
            if found != expected:
                raise HierarchyMismatchError(
                    f'image {img_path} (id {image_id!r}) changed since its tree '
                    f'in the store {path} was built (file fingerprint {found}, '
                    f'the store has {expected}): the tree belongs to another '
                    'image. Rebuild the store from these images '
                    '(tools/build_hierarchy.py into a new --out)')
        if self.full_size:
            hier = tree.expand()
            results['hg_labels'], results['hg_dist'] = hier.labels, hier.dist
        else:
            results['hg_labels'] = tree.labels
            results['hg_dist'] = tree.distance_matrix().astype('float32')
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(store={self.store!r}, '
                f'full_size={self.full_size}, '
                f'check_fingerprint={self.check_fingerprint})')
