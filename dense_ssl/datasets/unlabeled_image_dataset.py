"""Images without labels, from a folder tree, a COCO json or an image list."""
import os.path as osp
from typing import List, Optional, Sequence, Tuple

from mmengine.dataset import BaseDataset

from dense_ssl.image_lists import IMG_EXTENSIONS, list_images, read_image_list
from dense_ssl.registry import DATASETS


@DATASETS.register_module()
class UnlabeledImageDataset(BaseDataset):
    """Every image of a folder (recursively), of a COCO json or of a list.

    Labels are never read: this is pre-training data.

    Args:
        data_root (str): Root joined to ``ann_file`` and ``data_prefix``.
        ann_file (str): ``''`` to scan ``data_prefix['img_path']``
            recursively; a ``.json`` file (COCO format, its ``images`` are
            used); or a text list of image paths / VOC image-set ids.
        data_prefix (dict): ``dict(img_path=...)``, the image folder.
        extensions (Sequence[str]): Image suffixes picked when scanning.
        **kwargs: Other arguments of :class:`mmengine.dataset.BaseDataset`
            (``pipeline``, ``indices``, ``max_refetch``, ...).
    """

    def __init__(self,
                 data_root: str = '',
                 ann_file: str = '',
                 data_prefix: Optional[dict] = None,
                 extensions: Sequence[str] = IMG_EXTENSIONS,
                 **kwargs) -> None:
        self.extensions = tuple(e.lower() for e in extensions)
        super().__init__(
            data_root=data_root,
            ann_file=ann_file,
            data_prefix=data_prefix or dict(img_path=''),
            **kwargs)

    def image_names(self) -> Tuple[str, List[str]]:
        """The image folder and the image paths relative to it."""
        img_dir = self.data_prefix.get('img_path', '') or self.data_root
        if self.ann_file:
            names = read_image_list(self.ann_file)
        else:
            names = list_images(img_dir, self.extensions)
        if not names:
            raise ValueError(
                f'no images found in {self.ann_file or img_dir} '
                f'(extensions {self.extensions})')
        return img_dir, names

    def load_data_list(self) -> List[dict]:
        img_dir, names = self.image_names()
        return [dict(img_path=osp.join(img_dir, n)) for n in names]

    def __getitem__(self, idx: int) -> dict:
        """As BaseDataset's, but when no image in ``max_refetch + 1`` tries
        could be read, say how many were tried and where the reasons are
        (issue 11, item 12) instead of "Cannot find valid image after N!"."""
        if self.test_mode:
            return super().__getitem__(idx)
        if not self._fully_initialized:
            self.full_init()
        tried = []
        for _ in range(self.max_refetch + 1):
            data = self.prepare_data(idx)
            if data is not None:
                return data
            tried.append(idx)
            idx = self._rand_another()
        where = 'the "skipping unreadable image" warnings of the log'
        files = [t.error_file for t in getattr(self.pipeline, 'transforms',
                                               [])
                 if getattr(t, 'error_file', None)]
        if files:
            where += ' and ' + ', '.join(files)
        img_dir = self.data_prefix.get('img_path', '') or self.data_root
        raise RuntimeError(
            f'no readable image in {len(tried)} tries ({len(set(tried))} '
            f'different images of the {len(self)} of '
            f'{self.ann_file or img_dir}): the reasons are in {where}. '
            'Check the images, or remove the broken ones from the list.')
