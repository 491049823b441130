"""A project-local transform: registered without editing dense_ssl."""
import numpy as np
from mmcv.transforms import BaseTransform

from dense_ssl.registry import TRANSFORMS


@TRANSFORMS.register_module()
class RandomSquareCrop(BaseTransform):
    """Crop the largest square at a random position (keeps the aspect of
    objects before ``RandomResizedCrop`` rescales the view).

    Args:
        seed (int, optional): Seed of the position, for tests.
    """

    def __init__(self, seed=None) -> None:
        self.rng = np.random.default_rng(seed)

    def transform(self, results: dict) -> dict:
        img = results['img']
        h, w = img.shape[:2]
        side = min(h, w)
        y0 = int(self.rng.integers(0, h - side + 1))
        x0 = int(self.rng.integers(0, w - side + 1))
        results['img'] = img[y0:y0 + side, x0:x0 + side]
        results['img_shape'] = (side, side)
        return results
