"""Image loading that reports a broken file and lets the job go on."""
from typing import Optional

import mmcv
import numpy as np
from mmcv.transforms import BaseTransform
from mmengine.fileio import get
from mmengine.logging import MMLogger

from dense_ssl.image_io import ImageReadError, decode_image
from dense_ssl.registry import TRANSFORMS


@TRANSFORMS.register_module()
class LoadImageOrSkip(BaseTransform):
    """Load ``results['img_path']``; on a broken image log it and skip it.

    Returning ``None`` makes mmengine's ``BaseDataset`` fetch another sample,
    so one corrupt file among millions never stops a pre-training run; the
    path and the reason are logged as a warning (and appended to
    ``error_file`` when given, one ``path<TAB>reason`` line each).

    With the default ``color_type='color'`` and ``imdecode_backend='cv2'``
    the image is decoded by :func:`dense_ssl.image_io.decode_image`, the
    reader of the hierarchy builder and the tools (BGR, as mmcv's): EXIF
    orientation applied, 16-bit scaled as OpenCV does, truncated files
    refused. Other settings go to :func:`mmcv.imfrombytes`.

    Args:
        to_float32 (bool): Return a float32 image. Defaults to False.
        color_type (str): Passed to :func:`mmcv.imfrombytes`.
        imdecode_backend (str): Passed to :func:`mmcv.imfrombytes`.
        error_file (str, optional): Where to record skipped images.
    """

    def __init__(self,
                 to_float32: bool = False,
                 color_type: str = 'color',
                 imdecode_backend: str = 'cv2',
                 error_file: Optional[str] = None) -> None:
        self.to_float32 = to_float32
        self.color_type = color_type
        self.imdecode_backend = imdecode_backend
        self.error_file = error_file

    def _skip(self, path: str, reason: str) -> None:
        MMLogger.get_current_instance().warning(
            f'skipping unreadable image {path}: {reason}')
        if self.error_file:
            with open(self.error_file, 'a') as f:
                f.write(f'{path}\t{reason}\n')

    def transform(self, results: dict) -> Optional[dict]:
        path = results['img_path']
        try:
            data = get(path)
            if (self.color_type, self.imdecode_backend) == ('color', 'cv2'):
                img = decode_image(data, 'bgr', path)
            else:
                img = mmcv.imfrombytes(
                    data, flag=self.color_type,
                    backend=self.imdecode_backend)
        except ImageReadError as e:
            self._skip(path, e.reason)
            return None
        except Exception as e:  # missing file, I/O error, decoder error
            self._skip(path, f'{type(e).__name__}: {e}')
            return None
        if img is None or img.size == 0:
            self._skip(path, 'cannot be decoded as an image')
            return None
        if self.to_float32:
            img = img.astype(np.float32)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        return results
