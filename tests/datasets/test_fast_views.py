"""FastMultiView / FastColourAug give MoCo-v2 views distributed as MMSelfSup's.

Three levels: each colour operation against mmcv's Pillow one on the same
view (brightness / contrast exactly, the rest within a level or two on
average); the random choices (crop scale, aspect, position, jitter factors,
rates) against MMSelfSup's own pipeline's with two-sample KS tests and
against the nominal probabilities with binomial tests; and statistics of the
output views of both whole pipelines (KS). Every test has a fixed seed and
alpha = 0.01, so it is deterministic.
"""
import math
import random
import warnings

import cv2
import numpy as np
import pytest
from scipy import stats

import dense_ssl  # noqa: F401
from dense_ssl.benchmarks.data_pipeline import (build_stages,
                                                mmselfsup_mocov2_pipeline,
                                                write_coco_sized)
from dense_ssl.datasets.transforms import fast_colour as fc
from dense_ssl.datasets.transforms.fast_views import (FastMultiView,
                                                      choose_reduction)

ALPHA = 0.01


@pytest.fixture(scope='module')
def coco_photos(tmp_path_factory):
    from prepare_demo_data import write_demo_photos  # tools/ on sys.path
    tmp = tmp_path_factory.mktemp('fast_views')
    src = write_demo_photos(str(tmp / 'src'))
    return write_coco_sized(src, str(tmp / 'coco'))


@pytest.fixture(scope='module')
def view(coco_photos):
    img = cv2.imread(coco_photos[0])
    return cv2.resize(img[40:400, 100:520], (224, 224),
                      interpolation=cv2.INTER_AREA)


def test_coco_sized_photos(coco_photos):
    shapes = {tuple(cv2.imread(p).shape) for p in coco_photos}
    assert shapes <= {(480, 640, 3), (640, 480, 3)}
    assert (640, 480, 3) in shapes and (480, 640, 3) in shapes


@pytest.mark.parametrize('factor', [0.6, 0.93, 1.4])
def test_brightness_contrast_equal_pillow(view, factor):
    import mmcv
    assert np.array_equal(fc.adjust_brightness(view, factor),
                          mmcv.adjust_brightness(view, factor, 'pillow'))
    assert np.array_equal(fc.adjust_contrast(view, factor),
                          mmcv.adjust_contrast(view, factor, 'pillow'))
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')  # "Only use 'alpha' for pillow"
        ref = mmcv.adjust_color(view, factor, backend='pillow')
    d = np.abs(fc.adjust_saturation(view, factor).astype(int) - ref)
    assert d.max() <= 1 and d.mean() < 0.2


@pytest.mark.parametrize('hue', [-0.1, -0.04, 0.02, 0.1])
def test_hue_close_to_pillow(view, hue):
    import mmcv
    ref = mmcv.adjust_hue(view, hue, backend='pillow').astype(int)
    d = np.abs(fc.adjust_hue(view, hue).astype(int) - ref)
    # Pillow's 8-bit HSV round trip alone differs this much from OpenCV's
    assert d.mean() < 0.6 and np.percentile(d, 99) <= 6
    assert abs((fc.adjust_hue(view, hue).astype(int) - ref).mean()) < 0.4


def test_hue_shift_levels_as_numpy_uint8():
    # MMSelfSup: np.uint8(hue_factor * 255) on numpy 1.26, i.e. truncation
    # towards zero then modulo 256: -0.1 * 255 = -25.5 -> -25 -> 231
    assert [fc.hue_shift_levels(h) for h in (-0.1, -0.003, 0.05, 0.0999)] \
        == [231, 0, 12, 25]


def test_gray_and_blur_close_to_mmselfsup(view):
    from PIL import Image, ImageFilter
    w = np.array(fc.GRAY_WEIGHTS_BGR) / sum(fc.GRAY_WEIGHTS_BGR)
    ref = (w * view).sum(2).astype(np.uint8)  # mmcv RandomGrayscale
    gray = fc.to_gray(view)
    assert gray.shape == view.shape
    assert np.array_equal(gray[..., 0], gray[..., 2])
    assert np.abs(gray[..., 0].astype(int) - ref).max() <= 1
    for sigma in (0.1, 1.0, 2.0):
        ref = np.asarray(Image.fromarray(view).filter(
            ImageFilter.GaussianBlur(radius=sigma))).astype(int)
        assert np.abs(fc.gaussian_blur(view, sigma) - ref).mean() < 0.7


def test_choose_reduction_by_hand():
    out = (224, 224)
    # 460 x 450 crops: every side >= 2 * 224 -> factor 2
    assert choose_reduction([(0, 0, 460, 450), (10, 20, 470, 470)], out) == 2
    # one crop 447 wide -> 1
    assert choose_reduction([(0, 0, 460, 450), (0, 0, 447, 900)], out) == 1
    assert choose_reduction([(0, 0, 1800, 1800)], out) == 8
    assert choose_reduction([(0, 0, 1800, 1800)], out, max_factor=4) == 4
    assert choose_reduction([(0, 0, 900, 1000)], out) == 4


def _their_choices(monkeypatch, path, n):
    """Run MMSelfSup's pipeline ``n`` times on ``path``; return its crop
    boxes, jitter factors and views."""
    from mmselfsup.datasets.transforms import processing
    boxes, jitter = [], []
    crop_params = processing.RandomResizedCrop.get_params
    jitter_params = processing.ColorJitter.get_params

    def rec_crop(*a, **k):
        ymin, xmin, ymax, xmax = crop_params(*a, **k)
        boxes.append((xmin, ymin, xmax + 1, ymax + 1))
        return ymin, xmin, ymax, xmax

    def rec_jitter(*a, **k):
        out = jitter_params(*a, **k)
        jitter.append(out[:4])
        return out

    monkeypatch.setattr(processing.RandomResizedCrop, 'get_params',
                        staticmethod(rec_crop))
    monkeypatch.setattr(processing.ColorJitter, 'get_params',
                        staticmethod(rec_jitter))
    stages = build_stages(mmselfsup_mocov2_pipeline()[:2])
    random.seed(1)
    np.random.seed(1)
    views = []
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        for _ in range(n):
            r = dict(img_path=path)
            for _, t in stages:
                r = t(r)
            views += r['img']
    return np.array(boxes), np.array(jitter), views


def _our_choices(path, n):
    t = FastMultiView(record_params=True)
    np.random.seed(2)
    params, views = [], []
    for _ in range(n):
        r = t(dict(img_path=path))
        params += r['view_params']
        views += r['img']
    return params, views


def _crop_stats(boxes, h, w):
    boxes = np.asarray(boxes, float)
    bw, bh = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    return dict(scale=bw * bh / (h * w), log_aspect=np.log(bw / bh),
                cx=(boxes[:, 0] + boxes[:, 2]) / 2 / w,
                cy=(boxes[:, 1] + boxes[:, 3]) / 2 / h)


def _view_stats(views):
    v = np.stack(views).astype(np.float32)
    hsv = np.stack([cv2.cvtColor(x, cv2.COLOR_BGR2HSV) for x in views])
    gray = v @ np.float32([0.114, 0.587, 0.299])
    # sharpness: mean absolute horizontal difference (blur lowers it)
    sharp = np.abs(np.diff(gray, axis=2)).mean((1, 2))
    return dict(mean_b=v[..., 0].mean((1, 2)), mean_r=v[..., 2].mean((1, 2)),
                std=gray.std((1, 2)), sat=hsv[..., 1].mean((1, 2)),
                sharp=sharp)


def test_same_distribution_as_mmselfsup(monkeypatch, coco_photos):
    path = coco_photos[0]
    h, w = cv2.imread(path).shape[:2]
    n = 250  # samples = 500 views per pipeline
    their_boxes, their_jitter, their_views = _their_choices(
        monkeypatch, path, n)
    params, our_views = _our_choices(path, n)
    assert len(their_boxes) == len(params) == 2 * n

    # crop scale, aspect, position: two-sample KS against MMSelfSup's
    ours = _crop_stats([p['box'] for p in params], h, w)
    theirs = _crop_stats(their_boxes, h, w)
    for key in ours:
        p = stats.ks_2samp(ours[key], theirs[key]).pvalue
        assert p > ALPHA, f'crop {key}: KS p = {p:.4f}'
    # (not uniform in [0.2, 1]: large crops of extreme aspect do not fit and
    # are drawn again, in both)
    assert 0.195 < ours['scale'].min() and ours['scale'].max() <= 1

    # jitter factors of the views that got jitter
    jittered = [p['colour'] for p in params if p['colour'].order]
    our_jitter = np.array([(c.brightness, c.contrast, c.saturation, c.hue)
                           for c in jittered])
    for i, name in enumerate(('brightness', 'contrast', 'saturation', 'hue')):
        p = stats.ks_2samp(our_jitter[:, i], their_jitter[:, i]).pvalue
        assert p > ALPHA, f'{name} factor: KS p = {p:.4f}'
    # how often each was applied: binomial tests at the nominal rates
    # (MMSelfSup's config: jitter 0.8, grayscale 0.2, blur 0.5, flip 0.5)
    m = len(params)
    rates = dict(jitter=(len(jittered), 0.8),
                 their_jitter=(len(their_jitter), 0.8),
                 gray=(sum(p['colour'].gray for p in params), 0.2),
                 blur=(sum(p['colour'].sigma is not None for p in params), 0.5),
                 flip=(sum(p['flip'] for p in params), 0.5))
    for key, (k, rate) in rates.items():
        p = stats.binomtest(k, m, rate).pvalue
        assert p > ALPHA, f'{key}: {k}/{m} against {rate}, p = {p:.4f}'
    sigmas = [p['colour'].sigma for p in params if p['colour'].sigma]
    assert stats.kstest(sigmas, 'uniform', (0.1, 1.9)).pvalue > ALPHA
    # every order of the four jitter operations equally likely: which one
    # comes first, chi-square over 4 cells
    first = np.bincount([c.order[0] for c in jittered], minlength=4)
    assert stats.chisquare(first).pvalue > ALPHA

    # the output views themselves: colour, contrast, saturation, sharpness
    ours_v, theirs_v = _view_stats(our_views), _view_stats(their_views)
    for key in ours_v:
        p = stats.ks_2samp(ours_v[key], theirs_v[key]).pvalue
        assert p > ALPHA, f'view {key}: KS p = {p:.4f}'
    assert all(v.shape == (224, 224, 3) and v.dtype == np.uint8
               for v in our_views)


def test_fused_crop_resize_equals_mmselfsup(coco_photos):
    """The same crop box gives MMSelfSup's pixels (imcrop + Pillow bilinear)
    away from the border, where the fused resize also reads the pixels just
    outside the box."""
    import mmcv
    from PIL import Image
    img = cv2.imread(coco_photos[1])
    x0, y0, x1, y1 = 37, 21, 37 + 301, 21 + 283
    ref = mmcv.imresize(mmcv.imcrop(img, np.array([x0, y0, x1 - 1, y1 - 1])),
                        (224, 224), interpolation='bilinear',
                        backend='pillow').astype(int)
    ours = np.asarray(Image.fromarray(img).resize(
        (224, 224), Image.BILINEAR, box=(x0, y0, x1, y1))).astype(int)
    assert np.abs(ours - ref)[2:-2, 2:-2].max() <= 1
    assert np.abs(ours - ref).mean() < 0.5


def test_reduced_decode_of_a_large_photo(tmp_path, coco_photos):
    """A 2560 x 1920 JPEG is decoded at 1/2 - 1/8 scale when both crops allow;
    the views stay within a few levels of views cut from the full decode."""
    big = cv2.resize(cv2.imread(coco_photos[0]), (2560, 1920),
                     interpolation=cv2.INTER_CUBIC)
    path = str(tmp_path / 'big.jpg')
    cv2.imwrite(path, big, [cv2.IMWRITE_JPEG_QUALITY, 95])
    plain = dict(jitter_prob=0, gray_prob=0, blur_prob=0, flip_prob=0,
                 record_params=True)
    fast = FastMultiView(**plain)
    full = FastMultiView(max_reduction=1, **plain)
    factors = []
    for seed in range(6):
        np.random.seed(seed)
        a = fast(dict(img_path=path))
        np.random.seed(seed)
        b = full(dict(img_path=path))
        factors += [p['factor'] for p in a['view_params']]
        assert [p['box'] for p in a['view_params']] == \
            [p['box'] for p in b['view_params']]
        for va, vb in zip(a['img'], b['img']):
            assert np.abs(va.astype(int) - vb).mean() < 2.0
    assert max(factors) >= 2 and all(f in (1, 2, 4, 8) for f in factors)
    assert a['ori_shape'] == (1920, 2560)


def test_broken_image_is_skipped(tmp_path):
    bad = tmp_path / 'bad.jpg'
    bad.write_bytes(b'not a jpeg')
    errors = tmp_path / 'errors.txt'
    t = FastMultiView(error_file=str(errors))
    assert t(dict(img_path=str(bad))) is None
    assert str(bad) in errors.read_text()


def test_fast_colour_aug_rates():
    """FastColourAug in a per-view pipeline (HG): grayscale 20 % of the time."""
    from dense_ssl.registry import TRANSFORMS
    t = TRANSFORMS.build(dict(type='FastColourAug', jitter_prob=0.0))
    rng = np.random.RandomState(0)
    img = rng.randint(0, 255, (16, 16, 3)).astype(np.uint8)
    np.random.seed(3)
    n = 400
    grays = sum(np.array_equal(o[..., 0], o[..., 1]) for o in
                (t(dict(img=img))['img'] for _ in range(n)))
    assert stats.binomtest(grays, n, 0.2).pvalue > ALPHA
    assert math.isclose(grays / n, 0.2, abs_tol=0.06)
