"""Shared fixtures of the model tests: real photos as two augmented views;
fabricated HG batches (``hg_batches``)."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

MEAN = torch.tensor([123.675, 116.28, 103.53]).view(1, 3, 1, 1)
STD = torch.tensor([58.395, 57.12, 57.375]).view(1, 3, 1, 1)


def photo_views(size: int) -> list:
    """Two views (crop; other crop + flip) of two skimage photos.

    Returns ``[im_q, im_k]``, each (2, 3, size, size), normalised as the
    SelfSupDataPreprocessor of the configs does.
    """
    from skimage import data
    photos = [data.astronaut(), data.coffee()]
    views = [[], []]
    for img in photos:
        t = torch.from_numpy(np.ascontiguousarray(img)).permute(2, 0, 1)
        t = t.float().unsqueeze(0)
        h, w = t.shape[-2:]
        a = t[..., :h * 3 // 4, :w * 3 // 4]
        b = t[..., h // 4:, w // 4:].flip(-1)
        for i, crop in enumerate((a, b)):
            crop = F.interpolate(crop, size=(size, size), mode='bilinear',
                                 align_corners=False)
            views[i].append((crop - MEAN) / STD)
    return [torch.cat(v) for v in views]


@pytest.fixture(scope='session')
def views96():
    return photo_views(96)


@pytest.fixture
def hg_batch():
    from hg_batches import make_hg_batch  # tests/models/ is on sys.path
    return make_hg_batch()
