"""Images paired with their region hierarchies (HG pre-training data)."""
import os
import os.path as osp
from typing import List, Optional, Sequence

from dense_ssl.registry import DATASETS

from .transforms.hg_loading import HierarchyMismatchError, open_store
from .unlabeled_image_dataset import IMG_EXTENSIONS, UnlabeledImageDataset


@DATASETS.register_module()
class HierarchyDataset(UnlabeledImageDataset):
    """The images of a folder, COCO json or VOC list, with a hierarchy store.

    Every image is looked up in the store under the id
    ``tools/build_hierarchy.py`` gives it: its path relative to the image
    folder (``data_prefix['img_path']``), i.e. the COCO ``file_name`` or the
    VOC list entry with ``.jpg`` appended. Build the store from the same image
    list, e.g. ``tools/build_hierarchy.py --coco-json ANN.json --img-root DIR``.

    Each data info carries ``img_path``, ``hg_id`` and ``hg_store``, which
    :class:`~dense_ssl.datasets.transforms.HGLoadHierarchy` reads.

    Args:
        store: Store directory (a relative path is relative to the working
            directory, as on the builder's command line, not to
            ``data_root``).
        check_store: Check at start-up that every image has a hierarchy, so a
            wrong store stops the job before training, naming the images.
        data_root, ann_file, data_prefix, extensions, **kwargs: As
            :class:`UnlabeledImageDataset`.
    """

    def __init__(self,
                 store: str,
                 data_root: str = '',
                 ann_file: str = '',
                 data_prefix: Optional[dict] = None,
                 extensions: Sequence[str] = IMG_EXTENSIONS,
                 check_store: bool = True,
                 **kwargs) -> None:
        if not store:
            raise ValueError('HierarchyDataset needs store=<directory written '
                             'by tools/build_hierarchy.py>')
        self.store = store
        self.check_store = check_store
        super().__init__(
            data_root=data_root,
            ann_file=ann_file,
            data_prefix=data_prefix,
            extensions=extensions,
            **kwargs)

    def load_data_list(self) -> List[dict]:
        img_dir, names = self.image_names()
        # ids as the builder writes them: posix paths relative to the folder
        ids = [n.replace(os.sep, '/') for n in names]
        if self.check_store:
            self._check_ids(ids, [osp.join(img_dir, n) for n in names])
        return [dict(img_path=osp.join(img_dir, n), hg_id=i)
                for n, i in zip(names, ids)]

    def _check_ids(self, ids: List[str], paths: List[str]) -> None:
        store = open_store(self.store)
        missing = [p for i, p in zip(ids, paths) if i not in store]
        if missing:
            shown = ', '.join(missing[:5])
            more = f' and {len(missing) - 5} more' if len(missing) > 5 else ''
            raise HierarchyMismatchError(
                f'{len(missing)} of {len(ids)} images have no hierarchy in the '
                f'store {self.store}: {shown}{more}. Build the store from the '
                'same image list (tools/build_hierarchy.py); images the '
                'builder could not read are listed in its errors.txt')

    def get_data_info(self, idx: int) -> dict:
        info = super().get_data_info(idx)
        info['hg_store'] = self.store
        return info
