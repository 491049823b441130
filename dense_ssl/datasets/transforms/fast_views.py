"""MoCo-v2's two views of an image, made in one transform with little copying.

MMSelfSup's pipeline (``LoadImageFromFile`` + ``MultiView`` of
``RandomResizedCrop`` / ``RandomApply(ColorJitter)`` / ``RandomGrayscale`` /
``RandomGaussianBlur`` / ``RandomFlip``) decodes the whole JPEG, deep-copies the
decoded image once per view, copies each crop before resizing it, and goes
through Pillow and back for every colour operation. :class:`FastMultiView`
draws the same random choices (crop boxes as torchvision / MMSelfSup, colour
choices as :func:`~.fast_colour.sample_colour_params`) but

* draws both crop boxes *before* decoding, from the JPEG header, and decodes at
  1/2, 1/4 or 1/8 scale (libjpeg's DCT scaling, ``cv2.IMREAD_REDUCED_COLOR_*``)
  when every crop still has at least the output size at that scale, so a view
  is never upsampled more than it would be from the full image;
* crops and resizes in one Pillow call (``resize(box=...)``, the same bilinear
  filter MMSelfSup uses), reading the crop in place;
* applies the colour operations with OpenCV on uint8 (:mod:`.fast_colour`).

The output matches ``MultiView``'s: ``results['img']`` is a list of uint8 BGR
``H x W x 3`` views, for ``PackSelfSupInputs``.
"""
import io
from typing import List, Optional, Sequence

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmengine.fileio import get
from PIL import Image

from dense_ssl.registry import TRANSFORMS
from .fast_colour import apply_colour, sample_colour_params
from .hg_geometry import sample_crop_box
from .loading import LoadImageOrSkip

_REDUCED = {1: cv2.IMREAD_COLOR, 2: cv2.IMREAD_REDUCED_COLOR_2,
            4: cv2.IMREAD_REDUCED_COLOR_4, 8: cv2.IMREAD_REDUCED_COLOR_8}
# EXIF orientations that swap width and height (cv2.imdecode applies them)
_TRANSPOSED = (5, 6, 7, 8)


def jpeg_oriented_size(data: bytes):
    """``(height, width, is_jpeg)`` as ``cv2.imdecode`` will return the image
    (EXIF rotation applied), read from the header only."""
    with Image.open(io.BytesIO(data)) as im:
        w, h = im.size
        is_jpeg = im.format == 'JPEG'
        if is_jpeg and im.getexif().get(0x0112, 1) in _TRANSPOSED:
            w, h = h, w
    return h, w, is_jpeg


def choose_reduction(boxes: Sequence[Sequence[int]], out_hw,
                     max_factor: int = 8) -> int:
    """The largest DCT scale-down factor (1, 2, 4, 8) at which every crop box
    ``(x0, y0, x1, y1)`` is still at least ``out_hw`` pixels."""
    h_out, w_out = out_hw
    for factor in (8, 4, 2):
        if factor <= max_factor and all(
                (x1 - x0) >= factor * w_out and (y1 - y0) >= factor * h_out
                for x0, y0, x1, y1 in boxes):
            return factor
    return 1


@TRANSFORMS.register_module()
class FastMultiView(LoadImageOrSkip):
    """Load ``results['img_path']`` and make ``num_views`` MoCo-v2 views.

    Replaces ``LoadImageOrSkip`` + ``MultiView`` of MoCo-v2's view pipeline (a
    broken image is logged and skipped as :class:`LoadImageOrSkip` does).

    Added keys: ``img`` (list of views), ``img_shape``, ``ori_shape``; with
    ``record_params`` also ``view_params`` (per view: crop box in original
    pixels, decode factor, colour choices, flip), for tests and statistics.

    Args:
        num_views: Number of views.
        size: Output size, an int or ``(h, w)``.
        scale: Range of the crop's area fraction.
        ratio: Range of the crop's aspect ratio.
        jitter_prob, brightness, contrast, saturation, hue: RandomApply
            probability and ColorJitter strengths.
        gray_prob: RandomGrayscale probability.
        blur_prob, blur_sigma: RandomGaussianBlur probability and sigma range.
        flip_prob: RandomFlip probability.
        max_reduction: Largest decode scale-down (1 turns it off).
        record_params: Record every view's random choices.
        error_file: Where to record skipped images (see LoadImageOrSkip).
    """

    def __init__(self, num_views: int = 2, size=224,
                 scale: Sequence[float] = (0.2, 1.0),
                 ratio: Sequence[float] = (3. / 4., 4. / 3.),
                 jitter_prob: float = 0.8, brightness: float = 0.4,
                 contrast: float = 0.4, saturation: float = 0.4,
                 hue: float = 0.1, gray_prob: float = 0.2,
                 blur_prob: float = 0.5,
                 blur_sigma: Sequence[float] = (0.1, 2.0),
                 flip_prob: float = 0.5, max_reduction: int = 8,
                 record_params: bool = False,
                 error_file: Optional[str] = None) -> None:
        super().__init__(error_file=error_file)
        if num_views < 1:
            raise ValueError(f'num_views must be >= 1, got {num_views}')
        if max_reduction not in _REDUCED:
            raise ValueError(
                f'max_reduction must be 1, 2, 4 or 8, got {max_reduction}')
        if not 0 <= hue <= 0.5:
            raise ValueError(f'hue must be in [0, 0.5], got {hue}')
        self.num_views = num_views
        self.size = (size, size) if isinstance(size, int) else tuple(size)
        self.scale, self.ratio = tuple(scale), tuple(ratio)
        self.colour = dict(jitter_prob=jitter_prob, brightness=brightness,
                           contrast=contrast, saturation=saturation, hue=hue,
                           gray_prob=gray_prob, blur_prob=blur_prob,
                           blur_sigma=tuple(blur_sigma))
        self.flip_prob = flip_prob
        self.max_reduction = max_reduction
        self.record_params = record_params

    def _decode(self, data: bytes, rng):
        """Crop boxes (original pixels), decode factor and the decoded image."""
        height, width, is_jpeg = jpeg_oriented_size(data)
        boxes = [sample_crop_box(height, width, self.scale, self.ratio, rng)
                 for _ in range(self.num_views)]
        factor = (choose_reduction(boxes, self.size, self.max_reduction)
                  if is_jpeg else 1)
        img = cv2.imdecode(np.frombuffer(data, np.uint8), _REDUCED[factor])
        return boxes, factor, (height, width), img

    def transform(self, results: dict) -> Optional[dict]:
        path = results['img_path']
        rng = np.random
        try:
            boxes, factor, ori_hw, img = self._decode(get(path), rng)
        except Exception as e:  # missing file, I/O error, decoder error
            self._skip(path, f'{type(e).__name__}: {e}')
            return None
        if img is None or img.size == 0:
            self._skip(path, 'cannot be decoded as an image')
            return None
        if img.ndim == 2:
            img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
        # the decoded size, (h + factor - 1) // factor with DCT scaling
        sy, sx = img.shape[0] / ori_hw[0], img.shape[1] / ori_hw[1]
        pil = Image.fromarray(img)  # BGR bytes; the resize is per channel
        views: List[np.ndarray] = []
        params = []
        for x0, y0, x1, y1 in boxes:
            view = np.asarray(pil.resize(
                self.size[::-1], Image.BILINEAR,
                box=(x0 * sx, y0 * sy, x1 * sx, y1 * sy)))
            colour = sample_colour_params(rng, **self.colour)
            view = apply_colour(view, colour)
            flip = bool(rng.rand() < self.flip_prob)
            if flip:
                view = cv2.flip(view, 1)
            views.append(view)
            if self.record_params:
                params.append(dict(box=(x0, y0, x1, y1), factor=factor,
                                   colour=colour, flip=flip))
        results['img'] = views
        results['img_shape'] = self.size
        results['ori_shape'] = ori_hw
        if self.record_params:
            results['view_params'] = params
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(num_views={self.num_views}, '
                f'size={self.size}, scale={self.scale}, ratio={self.ratio}, '
                f'colour={self.colour}, flip_prob={self.flip_prob}, '
                f'max_reduction={self.max_reduction})')


@TRANSFORMS.register_module()
class FastColourAug(BaseTransform):
    """MoCo-v2's colour augmentations of one view in one transform:
    ``RandomApply(ColorJitter)``, ``RandomGrayscale`` and (``blur_prob > 0``)
    ``RandomGaussianBlur``, with :mod:`.fast_colour`. For per-view pipelines
    such as ``HGMultiView``'s; modifies ``img`` (uint8 BGR) only.
    """

    def __init__(self, jitter_prob: float = 0.8, brightness: float = 0.4,
                 contrast: float = 0.4, saturation: float = 0.4,
                 hue: float = 0.1, gray_prob: float = 0.2,
                 blur_prob: float = 0.0,
                 blur_sigma: Sequence[float] = (0.1, 2.0)) -> None:
        self.colour = dict(jitter_prob=jitter_prob, brightness=brightness,
                           contrast=contrast, saturation=saturation, hue=hue,
                           gray_prob=gray_prob, blur_prob=blur_prob,
                           blur_sigma=tuple(blur_sigma))

    def transform(self, results: dict) -> dict:
        img = results['img']
        if img.dtype != np.uint8:
            img = np.clip(img, 0, 255).astype(np.uint8)
        results['img'] = apply_colour(
            img, sample_colour_params(np.random, **self.colour))
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}({self.colour})'
