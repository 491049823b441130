"""The real photos that ship inside installed packages: the demo's and the
tests' data, nothing downloaded.

scikit-image (public domain / CC0), scikit-learn (CC BY 2.0) and imgaug's
quokka (MIT).
"""
import importlib.util
import os
import os.path as osp
import shutil

import cv2
import numpy as np

SKIMAGE_PHOTOS = ('astronaut', 'coffee', 'chelsea', 'rocket', 'camera')


def package_dir(name: str) -> str:
    """Folder of an installed package, found without importing it."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            f'package {name!r} is not installed (run tools/setup_env.sh)')
    return list(spec.submodule_search_locations)[0]


def quokka_path() -> str:
    """imgaug's quokka photo (read as a file: imgaug itself is not imported,
    it does not import with numpy >= 1.24)."""
    return osp.join(package_dir('imgaug'), 'quokka.jpg')


def demo_photos() -> dict:
    """name -> BGR uint8 image of every packaged photo."""
    from skimage import data
    from sklearn.datasets import load_sample_images
    photos = {}
    for name in SKIMAGE_PHOTOS:
        img = getattr(data, name)()
        if img.ndim == 2:
            img = np.stack([img] * 3, -1)
        photos[name] = cv2.cvtColor(img[..., :3], cv2.COLOR_RGB2BGR)
    sample = load_sample_images()
    for fname, img in zip(sample.filenames, sample.images):
        photos[osp.splitext(osp.basename(fname))[0]] = cv2.cvtColor(
            img, cv2.COLOR_RGB2BGR)
    return photos


def write_demo_photos(out_dir: str) -> list:
    """Write every packaged photo as JPEG into ``out_dir``; return paths."""
    os.makedirs(out_dir, exist_ok=True)
    paths = []
    for name, img in demo_photos().items():
        path = osp.join(out_dir, f'{name}.jpg')
        cv2.imwrite(path, img, [cv2.IMWRITE_JPEG_QUALITY, 95])
        paths.append(path)
    path = osp.join(out_dir, 'quokka.jpg')
    shutil.copyfile(quokka_path(), path)
    paths.append(path)
    return sorted(paths)
