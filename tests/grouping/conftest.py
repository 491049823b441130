"""Real photos shipped in installed packages, and the quokka with its polygon mask."""
import importlib.util
import json
import os.path as osp

import numpy as np
import pytest
from PIL import Image, ImageDraw


def imgaug_dir() -> str:
    # Read imgaug's data files without importing it (it breaks on new numpy).
    spec = importlib.util.find_spec('imgaug')
    if spec is None:
        pytest.skip('imgaug (installed --no-deps for its quokka photo) is missing')
    return osp.dirname(spec.origin)


@pytest.fixture(scope='session')
def quokka():
    """(RGB uint8 image 643 x 960, bool mask of the animal's polygon)."""
    d = imgaug_dir()
    image = np.asarray(Image.open(osp.join(d, 'quokka.jpg')).convert('RGB'))
    with open(osp.join(d, 'quokka_annotations.json')) as f:
        points = json.load(f)['polygons'][0]['keypoints']
    mask = Image.new('L', (image.shape[1], image.shape[0]))
    ImageDraw.Draw(mask).polygon([(p['x'], p['y']) for p in points], fill=1)
    return image, np.asarray(mask).astype(bool)


@pytest.fixture(scope='session')
def photos():
    """Name -> RGB uint8 photo (scikit-image and scikit-learn samples)."""
    from skimage import data
    from sklearn.datasets import load_sample_images
    out = {n: getattr(data, n)() for n in ('astronaut', 'coffee', 'chelsea', 'rocket')}
    out.update(zip(('china', 'flower'), load_sample_images().images))
    return out


