import json
import os.path as osp

import cv2
import numpy as np
import pytest
from mmengine.logging import MMLogger
from mmengine.registry import DefaultScope

import dense_ssl  # noqa: F401  (registers the dense_ssl scope)
from dense_ssl.datasets import LoadImageOrSkip, UnlabeledImageDataset
from dense_ssl.registry import DATASETS


def _write(path, value, size=(8, 6)):
    img = np.full((size[1], size[0], 3), value, np.uint8)
    assert cv2.imwrite(str(path), img)


@pytest.fixture
def tree(tmp_path):
    (tmp_path / 'a' / 'b').mkdir(parents=True)
    _write(tmp_path / 'z.jpg', 10)
    _write(tmp_path / 'a' / 'x.png', 20)
    _write(tmp_path / 'a' / 'b' / 'y.JPG', 30)
    (tmp_path / 'a' / 'notes.txt').write_text('not an image')
    return tmp_path


def test_folder_is_scanned_recursively_and_sorted(tree):
    ds = UnlabeledImageDataset(data_root=str(tree), serialize_data=False)
    rel = [osp.relpath(d['img_path'], str(tree)) for d in ds.data_list]
    assert rel == ['a/b/y.JPG', 'a/x.png', 'z.jpg']


def test_coco_json_lists_its_images(tree):
    ann = tree / 'ann.json'
    ann.write_text(json.dumps({'images': [
        {'id': 7, 'file_name': 'z.jpg'}, {'id': 3, 'file_name': 'a/x.png'}]}))
    ds = DATASETS.build(dict(
        type='UnlabeledImageDataset', data_root=str(tree),
        ann_file='ann.json', data_prefix=dict(img_path='')))
    assert [d['img_path'] for d in
            (ds.get_data_info(i) for i in range(len(ds)))] == [
        osp.join(str(tree), 'z.jpg'), osp.join(str(tree), 'a/x.png')]


def test_voc_style_list_gets_jpg_suffix(tree):
    (tree / 'train.txt').write_text('z\n\na/x.png 3\n')
    ds = UnlabeledImageDataset(
        data_root=str(tree), ann_file='train.txt', serialize_data=False)
    assert [osp.basename(d['img_path']) for d in ds.data_list] == [
        'z.jpg', 'x.png']


def test_missing_folder_and_empty_folder_name_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope'):
        UnlabeledImageDataset(data_root=str(tmp_path / 'nope'))
    with pytest.raises(ValueError, match=str(tmp_path)):
        UnlabeledImageDataset(data_root=str(tmp_path))
    with pytest.raises(ValueError, match='COCO'):
        (tmp_path / 'bad.json').write_text('{"annotations": []}')
        UnlabeledImageDataset(data_root=str(tmp_path), ann_file='bad.json')


def test_corrupt_image_is_recorded_and_skipped(tree):
    (tree / 'broken.jpg').write_bytes(b'\xff\xd8\xff\xe0 not really a jpeg')
    errors = tree / 'errors.tsv'
    MMLogger.get_instance('dense_ssl_test')
    with DefaultScope.overwrite_default_scope('dense_ssl'):
        ds = UnlabeledImageDataset(
            data_root=str(tree),
            pipeline=[dict(type='LoadImageOrSkip', error_file=str(errors))],
            serialize_data=False)
    broken = [i for i, d in enumerate(ds.data_list)
              if d['img_path'].endswith('broken.jpg')]
    assert len(broken) == 1
    # the broken file is replaced by a readable one, and recorded
    out = ds[broken[0]]
    assert not out['img_path'].endswith('broken.jpg')
    assert out['img'].shape == (6, 8, 3)
    assert out['img'][0, 0, 0] in (10, 20, 30)
    path, reason = errors.read_text().splitlines()[0].split('\t')
    assert path.endswith('broken.jpg') and reason


def test_load_reads_pixels(tree):
    out = LoadImageOrSkip(to_float32=True)(
        dict(img_path=str(tree / 'a' / 'x.png')))
    assert out['img'].dtype == np.float32
    assert out['img_shape'] == (6, 8)
    assert np.all(out['img'] == 20)
