"""Reading an image file: one reader for the hierarchy builder, the datasets
and the tools, so all of them see the same pixels.

Decoding is OpenCV's ``imdecode(..., IMREAD_COLOR)``, which is also what
mmcv's default loading (``LoadImageFromFile``, our ``LoadImageOrSkip``) does:

* EXIF orientation is applied (the image is read upright);
* grey, palette and RGBA files become 3-channel colour (alpha dropped);
* 16-bit files are scaled to 8 bits as OpenCV does: ``v >> 8`` (the high
  byte), so 65535 -> 255 and 32768 -> 128 (PIL's ``convert('RGB')`` clips a
  16-bit grey PNG to white instead, which gave one-region trees);
* a truncated JPEG or PNG is refused, never read with a grey bottom.

No OpenMMLab import: the grouping primitive uses it too.
"""
import hashlib
import os
from typing import Tuple

import numpy as np

# Fingerprint: the file size and its first and last 64 KiB (the whole file
# up to 128 KiB, i.e. most photos): cheap to recompute at every load.
_FP_SAMPLE = 1 << 16


class ImageReadError(ValueError):
    """A file that cannot be read or decoded as an image: ``path: reason``."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f'{path}: {reason}')
        self.path, self.reason = path, reason


def read_file(path: str) -> bytes:
    """The bytes of ``path``; errors name it."""
    try:
        with open(path, 'rb') as f:
            return f.read()
    except OSError as e:
        raise ImageReadError(path, f'cannot be read ({e.strerror or e})') from None


def _truncation(data: bytes) -> str:
    """Why ``data`` looks cut short, or ''."""
    if data[:3] == b'\xff\xd8\xff':
        # FF bytes in entropy-coded data are stuffed, so the last SOS (FFDA)
        # is the last scan; a complete file has an EOI (FFD9) after it (an
        # EXIF thumbnail's EOI comes before the main scan).
        if data.rfind(b'\xff\xd9') < data.rfind(b'\xff\xda'):
            return 'truncated JPEG (no end-of-image marker after its last scan)'
    elif data[:8] == b'\x89PNG\r\n\x1a\n' and b'IEND' not in data[-64:]:
        return 'truncated PNG (no IEND chunk at its end)'
    return ''


def decode_image(data: bytes, channel_order: str = 'rgb',
                 name: str = 'image') -> np.ndarray:
    """``(H, W, 3) uint8`` image from the bytes of an image file.

    Args:
        data: The encoded file.
        channel_order: ``'rgb'`` or ``'bgr'`` (OpenCV's and mmcv's order).
        name: What to call the image in errors (its path).

    Raises:
        ImageReadError: empty, truncated or undecodable data.
    """
    import cv2
    if channel_order not in ('rgb', 'bgr'):
        raise ValueError(f"channel_order must be 'rgb' or 'bgr', got {channel_order!r}")
    if not data:
        raise ImageReadError(name, 'empty file')
    why = _truncation(data)
    if why:
        raise ImageReadError(name, why)
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if img is None or img.size == 0:
        raise ImageReadError(name, 'cannot be decoded as an image (not an image file, '
                             'or a format OpenCV cannot read)')
    if channel_order == 'rgb':
        img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
    return img


def read_image(path: str, channel_order: str = 'rgb') -> np.ndarray:
    """``(H, W, 3) uint8`` image of the file ``path`` (see the module docstring)."""
    return decode_image(read_file(path), channel_order, path)


def read_image_and_fingerprint(path: str,
                               channel_order: str = 'rgb') -> Tuple[np.ndarray, str]:
    """The image and :func:`fingerprint_bytes` of its file, reading it once."""
    data = read_file(path)
    return decode_image(data, channel_order, path), fingerprint_bytes(data)


def fingerprint_bytes(data: bytes) -> str:
    """A short content hash of an encoded image file: blake2b of its size and
    its first and last 64 KiB (so the whole of a file up to 128 KiB).

    An edit confined to the middle of a file over 128 KiB that keeps its size
    is not seen; re-encoding, resizing, cropping or replacing an image is.
    """
    h = hashlib.blake2b(digest_size=12)
    h.update(len(data).to_bytes(8, 'little'))
    if len(data) <= 2 * _FP_SAMPLE:
        h.update(data)
    else:
        h.update(data[:_FP_SAMPLE])
        h.update(data[-_FP_SAMPLE:])
    return h.hexdigest()


def fingerprint_file(path: str) -> str:
    """:func:`fingerprint_bytes` of the file ``path``, reading at most 128 KiB."""
    with open(path, 'rb') as f:
        size = os.fstat(f.fileno()).st_size
        if size <= 2 * _FP_SAMPLE:
            data = f.read()
            if len(data) != size:
                raise OSError(f'{path} changed while being read')
            return fingerprint_bytes(data)
        head = f.read(_FP_SAMPLE)
        f.seek(size - _FP_SAMPLE)
        tail = f.read(_FP_SAMPLE)
    h = hashlib.blake2b(digest_size=12)
    h.update(size.to_bytes(8, 'little'))
    h.update(head)
    h.update(tail)
    return h.hexdigest()
