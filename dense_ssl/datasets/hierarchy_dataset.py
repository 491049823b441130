"""Images paired with their region hierarchies (HG pre-training data)."""
import os
import os.path as osp
from typing import List, Optional, Sequence

from mmengine.logging import MMLogger

from dense_ssl.grouping.store import open_store
from dense_ssl.registry import DATASETS

from .transforms.hg_loading import HierarchyMismatchError
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
            wrong store stops the job before training, naming the images
            (and, for those the builder skipped, quoting its errors.txt).
        skip_builder_errors: Leave out the images the builder could not
            read or group (those listed in the store's ``errors.txt``),
            with a warning giving their number. Images missing from the
            store for another reason are still refused.
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
                 skip_builder_errors: bool = False,
                 **kwargs) -> None:
        if not store:
            raise ValueError('HierarchyDataset needs store=<directory written '
                             'by tools/build_hierarchy.py>')
        self.store = store
        self.check_store = check_store
        self.skip_builder_errors = skip_builder_errors
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
        paths = [osp.join(img_dir, n) for n in names]
        if self.skip_builder_errors:
            failed = {e[0] for e in open_store(self.store).errors()}
            keep = [k for k, i in enumerate(ids) if i not in failed]
            if len(keep) < len(ids):
                MMLogger.get_current_instance().warning(
                    f'skip_builder_errors: leaving out {len(ids) - len(keep)} of '
                    f'{len(ids)} images that the builder could not read or '
                    f'group (reasons in {osp.join(self.store, "errors.txt")})')
            ids, paths = [ids[k] for k in keep], [paths[k] for k in keep]
            if not ids:
                raise HierarchyMismatchError(
                    f'no image is left: the builder of {self.store} skipped '
                    f'all of them (see {osp.join(self.store, "errors.txt")})')
        if self.check_store:
            self._check_ids(ids, paths)
        return [dict(img_path=p, hg_id=i) for p, i in zip(paths, ids)]

    def _check_ids(self, ids: List[str], paths: List[str]) -> None:
        store = open_store(self.store)
        missing = [(i, p) for i, p in zip(ids, paths) if i not in store]
        if not missing:
            return
        reasons = {e[0]: e[2] for e in store.errors()}
        failed = [(p, reasons[i]) for i, p in missing if i in reasons]
        unbuilt = [p for i, p in missing if i not in reasons]
        parts = [f'{len(missing)} of {len(ids)} images have no hierarchy in '
                 f'the store {self.store}.']
        if failed:
            errors_txt = osp.join(self.store, 'errors.txt')
            quoted = '; '.join(f'{p}: {r}' for p, r in failed[:5])
            more = f' and {len(failed) - 5} more' if len(failed) > 5 else ''
            parts.append(
                f'The builder skipped {len(failed)} of them, its {errors_txt} '
                f'says: {quoted}{more}. Fix or remove those files and re-run '
                'the builder, or set skip_builder_errors=True in the dataset '
                'config to leave them out.')
        if unbuilt:
            shown = ', '.join(unbuilt[:5])
            more = f' and {len(unbuilt) - 5} more' if len(unbuilt) > 5 else ''
            parts.append(
                f'{len(unbuilt)} were never given to the builder: {shown}'
                f'{more}. Build the store from the same image list '
                '(tools/build_hierarchy.py; a sharded build may not be '
                'finished).')
        raise HierarchyMismatchError(' '.join(parts))

    def get_data_info(self, idx: int) -> dict:
        info = super().get_data_info(idx)
        info['hg_store'] = self.store
        return info
