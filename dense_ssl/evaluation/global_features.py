"""Global features of a frozen backbone over an image-folder set.

An image-folder classification set (torchvision's ``ImageFolder`` layout,
also mmcls' ``CustomDataset`` folder mode) is ``ROOT/<class>/**/<image>``:
the classes are the sorted names of ROOT's sub-folders. Each image is
resized (short side ``resize``), centre-cropped to ``crop`` (the linear /
k-NN test transform of MMSelfSup), normalised, and its last backbone map
average-pooled.
"""
import os
import os.path as osp
import time
from typing import Callable, List, Sequence, Tuple

import cv2
import numpy as np
import torch
from torch import Tensor

from dense_ssl.image_io import read_image
from dense_ssl.image_lists import list_images


def image_folder(root: str) -> Tuple[List[str], Tensor, List[str]]:
    """``(paths, labels, classes)`` of an image-folder set.

    Raises:
        FileNotFoundError: ``root`` is missing or has no class sub-folder
            holding an image (the message names ``root``).
    """
    if not osp.isdir(root):
        raise FileNotFoundError(f'{root}: no such image folder')
    classes = sorted(d for d in os.listdir(root)
                     if osp.isdir(osp.join(root, d)))
    paths, labels = [], []
    for label, name in enumerate(classes):
        for rel in list_images(osp.join(root, name)):
            paths.append(osp.join(root, name, rel))
            labels.append(label)
    if not paths:
        raise FileNotFoundError(
            f'{root}: no images in class sub-folders (expected the '
            'ImageFolder layout ROOT/<class>/<image>)')
    return paths, torch.tensor(labels), classes


def load_centre_crop(path: str, resize: int = 256,
                     crop: int = 224) -> np.ndarray:
    """(crop, crop, 3) uint8 RGB: short side to ``resize`` (bilinear), then
    the centre ``crop`` x ``crop``."""
    img = read_image(path, 'bgr')  # ImageReadError (a ValueError) names it
    h, w = img.shape[:2]
    scale = resize / min(h, w)
    nh, nw = max(crop, round(h * scale)), max(crop, round(w * scale))
    img = cv2.resize(img, (nw, nh), interpolation=cv2.INTER_LINEAR)
    y, x = (nh - crop) // 2, (nw - crop) // 2
    return cv2.cvtColor(img[y:y + crop, x:x + crop], cv2.COLOR_BGR2RGB)


@torch.no_grad()
def extract_global_features(backbone: Callable[[Tensor], Sequence[Tensor]],
                            paths: Sequence[str], mean: Sequence[float],
                            std: Sequence[float], resize: int = 256,
                            crop: int = 224, batch_size: int = 32,
                            device: str = 'cpu',
                            log: Callable[[str], None] = print) -> Tensor:
    """(N, C) average-pooled last backbone maps of ``paths``, on the CPU.

    ``backbone(x)`` returns a sequence of maps (MMSelfSup / mmcls ResNets);
    the last one is pooled. Progress with an ETA goes to ``log`` every
    ~10 % of the batches.
    """
    mean_t = torch.tensor(mean, dtype=torch.float32).view(1, 3, 1, 1)
    std_t = torch.tensor(std, dtype=torch.float32).view(1, 3, 1, 1)
    feats, t0 = [], time.time()
    n_batches = -(-len(paths) // batch_size)
    every = max(1, n_batches // 10)
    for b in range(n_batches):
        chunk = paths[b * batch_size:(b + 1) * batch_size]
        x = torch.from_numpy(np.stack([load_centre_crop(p, resize, crop)
                                       for p in chunk]))
        x = (x.permute(0, 3, 1, 2).float() - mean_t) / std_t
        out = backbone(x.to(device))[-1]
        feats.append(out.float().mean((2, 3)).cpu())
        if (b + 1) % every == 0 or b + 1 == n_batches:
            done = (b + 1) / n_batches
            spent = time.time() - t0
            log(f'features: {min(len(paths), (b + 1) * batch_size)}/'
                f'{len(paths)} images, {spent:.0f} s, ETA '
                f'{spent / done - spent:.0f} s')
    return torch.cat(feats)
