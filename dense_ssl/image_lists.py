"""Which images a folder, a COCO json or an image list names (pure Python).

One listing for the pre-training datasets and the hierarchy builder, so the
ids the builder writes are exactly the names the datasets look up. No
OpenMMLab import here: the grouping primitive uses it too.
"""
import json
import os
import os.path as osp
from typing import List, Sequence

IMG_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.ppm', '.pgm', '.tif',
                  '.tiff', '.webp')


def list_images(folder: str,
                extensions: Sequence[str] = IMG_EXTENSIONS) -> List[str]:
    """Paths (relative to ``folder``, posix, sorted) of every image below it."""
    if not osp.isdir(folder):
        raise FileNotFoundError(f'image folder not found: {folder}')
    suffixes = tuple(e.lower() for e in extensions)
    found = []
    for root, _, files in os.walk(folder, followlinks=True):
        found += [
            osp.relpath(osp.join(root, name), folder).replace(os.sep, '/')
            for name in files if name.lower().endswith(suffixes)
        ]
    return sorted(found)


def _check_file(path: str) -> None:
    if not osp.isfile(path):
        raise FileNotFoundError(f'annotation file not found: {path}')


def read_coco_images(json_path: str) -> List[str]:
    """The ``file_name`` of every entry of a COCO json's ``images``, in order."""
    _check_file(json_path)
    with open(json_path) as f:
        try:
            coco = json.load(f)
        except json.JSONDecodeError as e:
            raise ValueError(f'{json_path} is not valid json ({e}): a '
                             'truncated or edited COCO file?') from None
    if not isinstance(coco, dict) or not isinstance(coco.get('images'),
                                                    list):
        raise ValueError(f'{json_path} has no "images" list: is it a '
                         'COCO-format json?')
    names = []
    for i, img in enumerate(coco['images']):
        name = img.get('file_name') if isinstance(img, dict) else None
        if not isinstance(name, str) or not name:
            raise ValueError(
                f'{json_path}: images[{i}] has no "file_name" string '
                f'(entry: {str(img)[:200]})')
        names.append(name)
    return names


def read_list_file(list_path: str, ext: str = '.jpg') -> List[str]:
    """First column of every non-empty line; a name with no extension (a VOC
    image-set id) gets ``ext``, so ImageNet-style ``path label`` lists and
    VOC lists both work."""
    _check_file(list_path)
    names = []
    with open(list_path) as f:
        for line in f:
            parts = line.split()
            if parts:
                name = parts[0]
                names.append(name if osp.splitext(name)[1] else name + ext)
    return names


def read_image_list(ann_file: str, ext: str = '.jpg') -> List[str]:
    """Image file names named by a COCO json (``.json``) or a text list."""
    if ann_file.endswith('.json'):
        return read_coco_images(ann_file)
    return read_list_file(ann_file, ext)
