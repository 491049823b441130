"""Images without labels, from a folder tree, a COCO json or an image list."""
import json
import os
import os.path as osp
from typing import List, Optional, Sequence, Tuple

from mmengine.dataset import BaseDataset

from dense_ssl.registry import DATASETS

IMG_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.ppm', '.pgm', '.tif',
                  '.tiff', '.webp')


def list_images(folder: str,
                extensions: Sequence[str] = IMG_EXTENSIONS) -> List[str]:
    """Paths (relative to ``folder``, sorted) of every image below it."""
    if not osp.isdir(folder):
        raise FileNotFoundError(f'image folder not found: {folder}')
    found = []
    for root, _, files in os.walk(folder, followlinks=True):
        found += [
            osp.relpath(osp.join(root, name), folder) for name in files
            if name.lower().endswith(tuple(extensions))
        ]
    return sorted(found)


def read_image_list(ann_file: str) -> List[str]:
    """Image file names listed by a COCO json or a text list (one per line).

    A text line's first column is used, so ImageNet-style ``path label`` lists
    work; a line with no extension (a VOC image-set id) gets ``.jpg``.
    """
    if not osp.isfile(ann_file):
        raise FileNotFoundError(f'annotation file not found: {ann_file}')
    if ann_file.endswith('.json'):
        with open(ann_file) as f:
            coco = json.load(f)
        if 'images' not in coco:
            raise ValueError(f'{ann_file} has no "images" list: is it a '
                             'COCO-format json?')
        return [img['file_name'] for img in coco['images']]
    names = []
    with open(ann_file) as f:
        for line in f:
            parts = line.split()
            if not parts:
                continue
            name = parts[0]
            names.append(name if osp.splitext(name)[1] else name + '.jpg')
    return names


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
