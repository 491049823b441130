"""One image reader for the builder, the training loader and the tools
(issue 11 item 2, issue 10 "one home for image reading")."""
import hashlib

import cv2
import numpy as np
import pytest
from PIL import Image
from skimage import data

import dense_ssl  # noqa: F401  (registers the dense_ssl scope)
import dense_ssl.grouping.build as build
from dense_ssl.applications import image_io as app_io
from dense_ssl.datasets import LoadImageOrSkip
from dense_ssl.grouping import HierarchyBuilder, decode_region_tree
from dense_ssl.image_io import (ImageReadError, fingerprint_bytes, fingerprint_file,
                                read_image)
from dense_ssl.image_lists import IMG_EXTENSIONS


def _coffee16():
    """skimage's coffee photo spread over 16 bits, with a low byte that is not
    a copy of the high one (so ``>> 8`` and ``/ 257`` differ)."""
    img8 = data.coffee()[::4, ::4]  # RGB, 100 x 150
    low = np.random.default_rng(0).integers(0, 256, img8.shape)
    return (img8.astype(np.uint16) << 8) | low.astype(np.uint16)


def test_16bit_png_is_scaled_as_opencv_does(tmp_path):
    rgb16 = _coffee16()
    path = str(tmp_path / 'c16.png')
    assert cv2.imwrite(path, np.ascontiguousarray(rgb16[..., ::-1]))  # BGR on disk
    raw = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    assert raw.dtype == np.uint16 and (raw[..., ::-1] == rgb16).all()
    expected = (raw >> 8).astype(np.uint8)[..., ::-1]  # OpenCV keeps the high byte
    got = read_image(path)
    assert got.dtype == np.uint8
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(got, data.coffee()[::4, ::4])  # the original 8-bit photo
    # the training loader (BGR) and the builder see the same pixels
    loaded = LoadImageOrSkip()(dict(img_path=path))['img']
    np.testing.assert_array_equal(loaded, expected[..., ::-1])
    np.testing.assert_array_equal(app_io.read_rgb(path), expected)


def test_16bit_grey_png_values_by_hand(tmp_path):
    grey = np.array([[0, 255, 256, 32767], [32768, 40000, 65280, 65535]], np.uint16)
    path = str(tmp_path / 'g16.png')
    assert cv2.imwrite(path, grey)
    got = read_image(path)
    # 255 >> 8 = 0, 256 >> 8 = 1, 32767 >> 8 = 127, 40000 >> 8 = 156, 65280 >> 8 = 255
    hand = np.array([[0, 0, 1, 127], [128, 156, 255, 255]], np.uint8)
    assert got.shape == (2, 4, 3)
    for c in range(3):
        np.testing.assert_array_equal(got[..., c], hand)
    # PIL's convert('RGB'), the builder's old reader, clipped it to white
    with Image.open(path) as im:
        assert (np.asarray(im.convert('RGB'))[1] == 255).all()


def test_builder_groups_a_16bit_png_into_many_regions(tmp_path, monkeypatch):
    grey16 = (cv2.cvtColor(data.coffee(), cv2.COLOR_RGB2GRAY).astype(np.uint16) * 257)
    path = str(tmp_path / 'grey16.png')
    assert cv2.imwrite(path, grey16)
    monkeypatch.setattr(build, '_BUILDER', HierarchyBuilder('gradient', long_side=128))
    _, _, rec, reason, fingerprint = build._process(build.ImageItem('grey16.png', path))
    assert rec is not None, reason
    # one region (an all-white image) with the old PIL reader
    assert decode_region_tree(rec).num_regions > 10
    assert fingerprint == fingerprint_file(path)


def _exif_rotated_jpeg(path, orientation=6):
    """20 x 40 stored pixels, left half white; orientation 6 = rotate 90
    degrees clockwise to display, so the upright image is 40 x 20 with its
    top half white."""
    stored = np.zeros((20, 40, 3), np.uint8)
    stored[:, :20] = 255
    im = Image.fromarray(stored)
    exif = im.getexif()
    exif[0x0112] = orientation
    im.save(path, exif=exif.tobytes(), quality=95)


def test_exif_rotated_jpeg_is_read_upright_everywhere(tmp_path):
    path = str(tmp_path / 'rot.jpg')
    _exif_rotated_jpeg(path)
    img = read_image(path)
    assert img.shape == (40, 20, 3)
    assert img[:18].mean() > 240 and img[22:].mean() < 15  # white on top
    np.testing.assert_array_equal(LoadImageOrSkip()(dict(img_path=path))['img'],
                                  img[..., ::-1])
    np.testing.assert_array_equal(app_io.read_rgb(path), img)
    from visualize_correspondence import load_photo  # tools/ is on sys.path
    np.testing.assert_array_equal(load_photo(path), img)


def test_truncated_and_non_image_files_are_refused_naming_the_file(tmp_path):
    png, jpg = tmp_path / 'c.png', tmp_path / 'c.jpg'
    cv2.imwrite(str(png), data.coffee())
    cv2.imwrite(str(jpg), data.coffee())
    for path, kind in ((png, 'PNG'), (jpg, 'JPEG')):
        whole = path.read_bytes()
        path.write_bytes(whole[:int(len(whole) * 0.9)])
        with pytest.raises(ImageReadError, match=f'truncated {kind}') as e:
            read_image(str(path))
        assert e.value.path == str(path)
    (tmp_path / 'notes.jpg').write_text('not an image')
    with pytest.raises(ImageReadError, match='cannot be decoded'):
        read_image(str(tmp_path / 'notes.jpg'))
    with pytest.raises(ImageReadError, match='cannot be read'):
        read_image(str(tmp_path / 'missing.jpg'))
    # the training loader skips such a file with the same reason
    assert LoadImageOrSkip()(dict(img_path=str(jpg))) is None


def test_fingerprint_by_hand(tmp_path):
    def hand(payload):
        h = hashlib.blake2b(digest_size=12)
        h.update(len(payload).to_bytes(8, 'little'))
        h.update(payload)
        return h.hexdigest()

    small = b'abc' * 1000  # under 128 KiB: the whole file
    assert fingerprint_bytes(small) == hand(small)
    big = bytes(np.random.default_rng(1).integers(0, 256, 300_000, np.uint8))
    head_tail = big[:65536] + big[-65536:]
    h = hashlib.blake2b(digest_size=12)
    h.update((300_000).to_bytes(8, 'little'))
    h.update(head_tail)
    assert fingerprint_bytes(big) == h.hexdigest()
    for payload in (small, big):
        (tmp_path / 'f').write_bytes(payload)
        assert fingerprint_file(str(tmp_path / 'f')) == fingerprint_bytes(payload)
    changed = bytearray(big)
    changed[10] ^= 1
    assert fingerprint_bytes(bytes(changed)) != fingerprint_bytes(big)


def test_one_set_of_extensions():
    assert app_io.IMAGE_EXTENSIONS is IMG_EXTENSIONS
