"""HG data on a store that does not fit its images: changed files (issue 11
item 5), images the builder skipped (item 13), format-1 stores."""
import os.path as osp
import shutil

import build_hierarchy  # tools/ is on sys.path (tests/conftest.py)
import cv2
import numpy as np
import pytest

import dense_ssl  # noqa: F401  (registers the dense_ssl scope)
from dense_ssl.datasets import HierarchyDataset, LoadImageOrSkip
from dense_ssl.datasets.transforms import HGLoadHierarchy, HierarchyMismatchError

FORMAT1 = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'grouping',
                   'format1_store')


def _small(name):
    from skimage import data
    img = getattr(data, name)()
    return cv2.resize(img, None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA)[..., ::-1]


@pytest.fixture(scope='module')
def hg(tmp_path_factory):
    """Three photos and a text file named .jpg, and their store."""
    root = tmp_path_factory.mktemp('hg')
    img_dir = root / 'img'
    img_dir.mkdir()
    for name in ('astronaut', 'chelsea', 'coffee'):
        cv2.imwrite(str(img_dir / f'{name}.jpg'), _small(name))
    (img_dir / 'notes.jpg').write_text('not an image')
    store = str(root / 'store')
    assert build_hierarchy.main([str(img_dir), '--out', store, '--long-side', '64',
                                 '--no-progress']) == 0
    return str(img_dir), store


def _copy(hg, tmp_path):
    img_dir = str(tmp_path / 'img')
    shutil.copytree(hg[0], img_dir)
    return img_dir


def _load(img_dir, store, name, **kw):
    info = dict(img_path=osp.join(img_dir, name), hg_id=name, hg_store=store)
    return HGLoadHierarchy(**kw)(LoadImageOrSkip()(info))


def test_changed_image_of_the_same_size_is_refused(hg, tmp_path):
    img_dir, store = _copy(hg, tmp_path), hg[1]
    # coffee 400x600 -> 100x150 -> long side 64
    assert _load(img_dir, store, 'coffee.jpg')['hg_labels'].shape == (43, 64)
    # another picture under the same name and size: before, it trained on coffee's tree
    path = osp.join(img_dir, 'coffee.jpg')
    cv2.imwrite(path, cv2.flip(cv2.imread(path), 1))
    with pytest.raises(HierarchyMismatchError) as e:
        _load(img_dir, store, 'coffee.jpg')
    msg = str(e.value)
    assert path in msg and store in msg and 'changed since its tree' in msg
    assert 'rebuild' in msg.lower()
    _load(img_dir, store, 'coffee.jpg', check_fingerprint=False)  # the documented way out


def test_format1_store_loads_without_fingerprints(tmp_path):
    img_dir = tmp_path / 'img'
    img_dir.mkdir()
    for name in ('chelsea', 'coffee'):  # the store was built on 64 x 96 images
        cv2.imwrite(str(img_dir / f'{name}.png'), cv2.resize(_small(name), (96, 64)))
    with pytest.warns(UserWarning, match='old store format 1'):
        out = _load(str(img_dir), FORMAT1, 'coffee.png')
    expected = np.load(osp.join(FORMAT1, 'expected_trees.npz'))
    np.testing.assert_array_equal(out['hg_labels'], expected['coffee_labels'])
    assert out['hg_dist'].shape == (12, 12)


def test_images_the_builder_skipped_are_quoted_from_errors_txt(hg):
    img_dir, store = hg
    with pytest.raises(HierarchyMismatchError) as e:
        HierarchyDataset(store=store, data_prefix=dict(img_path=img_dir))
    msg = str(e.value)
    # before: "Build the store from the same image list", which it was
    assert '1 of 4 images' in msg
    assert osp.join(store, 'errors.txt') in msg
    assert osp.join(img_dir, 'notes.jpg') + ': unreadable: cannot be decoded' in msg
    assert 'skip_builder_errors=True' in msg and 'never given' not in msg


def test_skip_builder_errors_leaves_them_out(hg):
    img_dir, store = hg
    ds = HierarchyDataset(store=store, data_prefix=dict(img_path=img_dir),
                          skip_builder_errors=True,
                          pipeline=[LoadImageOrSkip(), HGLoadHierarchy()])
    assert len(ds) == 3
    assert [ds.get_data_info(i)['hg_id'] for i in range(3)] == [
        'astronaut.jpg', 'chelsea.jpg', 'coffee.jpg']
    assert ds[2]['hg_labels'].shape == (43, 64)  # coffee 400x600 -> 100x150 -> long side 64


def test_skip_builder_errors_still_refuses_images_never_built(hg, tmp_path):
    img_dir, store = _copy(hg, tmp_path), hg[1]
    cv2.imwrite(osp.join(img_dir, 'zz_new.jpg'), _small('rocket'))
    with pytest.raises(HierarchyMismatchError) as e:
        HierarchyDataset(store=store, data_prefix=dict(img_path=img_dir),
                         skip_builder_errors=True)
    msg = str(e.value)
    assert '1 of 4 images' in msg and '1 were never given to the builder' in msg
    assert osp.join(img_dir, 'zz_new.jpg') in msg and 'skip_builder_errors=True' not in msg
