"""Reading and writing the images and label maps of the application tools."""
import os
from typing import List, Optional, Sequence

import numpy as np
from PIL import Image

from dense_ssl.image_io import read_image
from dense_ssl.image_lists import IMG_EXTENSIONS as IMAGE_EXTENSIONS


def list_images(folder: str, option: str = 'folder') -> List[str]:
    """Sorted image files of ``folder`` (error names the ``option``)."""
    if not os.path.isdir(folder):
        raise FileNotFoundError(f'{option} {folder}: no such folder')
    files = sorted(
        os.path.join(folder, f) for f in os.listdir(folder)
        if f.lower().endswith(IMAGE_EXTENSIONS))
    if not files:
        raise FileNotFoundError(f'{option} {folder}: no images '
                                f'({", ".join(IMAGE_EXTENSIONS)}) in it')
    return files


def stem(path: str) -> str:
    return os.path.splitext(os.path.basename(path))[0]


def matching_file(folder: str, name: str, option: str) -> str:
    """``folder/<name>.png`` (error names the option and the file)."""
    path = os.path.join(folder, name + '.png')
    if not os.path.isfile(path):
        raise FileNotFoundError(f'{option}: {path} is missing (one PNG per '
                                'image, same name)')
    return path


def read_rgb(path: str) -> np.ndarray:
    """(H, W, 3) uint8 RGB, read as training reads it
    (:func:`dense_ssl.image_io.read_image`: EXIF upright, 16-bit scaled)."""
    return read_image(path, 'rgb')


def read_index_png(path: str) -> np.ndarray:
    """Integer map of a label / mask / segment PNG.

    Palette ('P') and grey PNGs give their indices (VOC labels, DAVIS
    masks); 16-bit PNGs their values; an RGB PNG is read as one id per
    colour (``r * 65536 + g * 256 + b``).
    """
    with Image.open(path) as im:
        arr = np.asarray(im)
    if arr.ndim == 3:
        arr = arr[..., :3].astype(np.int64)
        return (arr[..., 0] << 16) | (arr[..., 1] << 8) | arr[..., 2]
    return arr.astype(np.int64)


def read_palette(path: str) -> Optional[Sequence[int]]:
    """The palette of a 'P' PNG, or None."""
    with Image.open(path) as im:
        return im.getpalette() if im.mode == 'P' else None


def write_index_png(path: str, labels: np.ndarray,
                    palette: Optional[Sequence[int]] = None) -> None:
    """Save an integer map (< 256) as a palette PNG (DAVIS / VOC style)."""
    if labels.max() > 255 or labels.min() < 0:
        raise ValueError(f'{path}: labels must lie in [0, 255]')
    im = Image.fromarray(labels.astype(np.uint8))  # 'L'; putpalette -> 'P'
    if palette is None:  # VOC / DAVIS colour map
        palette = voc_palette()
    im.putpalette(list(palette))
    im.save(path)


def voc_palette(n: int = 256) -> List[int]:
    """The PASCAL VOC colour map (also DAVIS's)."""
    pal = []
    for i in range(n):
        r = g = b = 0
        c = i
        for j in range(8):
            r |= ((c >> 0) & 1) << (7 - j)
            g |= ((c >> 1) & 1) << (7 - j)
            b |= ((c >> 2) & 1) << (7 - j)
            c >>= 3
        pal += [r, g, b]
    return pal
