"""HierarchyDataset + the HG pipeline on real photos and real stores."""
import os.path as osp
import shutil

import cv2
import numpy as np
import pytest
import torch
from mmengine.dataset import ConcatDataset, default_collate

from dense_ssl.datasets import HierarchyDataset
from dense_ssl.datasets.transforms import HierarchyMismatchError
from dense_ssl.datasets.transforms.hg_geometry import view_to_original
from dense_ssl.grouping import HierarchyStore
from dense_ssl.registry import DATASETS, TRANSFORMS

SIZE = 64


def pipeline(jitter=True, size=SIZE, loader=None):
    view = [dict(type='HGRandomResizedCropFlip', size=size, scale=(0.2, 1.))]
    if jitter:
        view += [
            dict(type='RandomApply', prob=0.8, transforms=[dict(
                type='ColorJitter', brightness=0.4, contrast=0.4,
                saturation=0.4, hue=0.1)]),
            dict(type='RandomGrayscale', prob=0.2, keep_channels=True,
                 channel_weights=(0.114, 0.587, 0.2989))]
    return [dict(type='LoadImageOrSkip'), loader or dict(type='HGLoadHierarchy'),
            dict(type='HGMultiView', num_views=2, transforms=view),
            dict(type='PackHGInputs')]


def folder_dataset(d, **kw):
    return DATASETS.build(dict(
        type='HierarchyDataset', store=d['photos_store'],
        data_prefix=dict(img_path=d['photos']), **kw))


@pytest.mark.slow
def test_ids_match_the_builder_for_folder_voc_and_coco(hg_data):
    d = hg_data
    voc = HierarchyDataset(
        store=d['voc_store'], data_root=d['voc'],
        ann_file='ImageSets/Segmentation/train_aug.txt',
        data_prefix=dict(img_path='JPEGImages/'), pipeline=pipeline())
    coco = HierarchyDataset(
        store=d['coco_store'], data_root=d['coco'],
        ann_file='annotations/instances_train2014.json',
        data_prefix=dict(img_path='train2014/'), pipeline=pipeline())
    folder = folder_dataset(d, pipeline=pipeline())
    for ds, store in [(voc, d['voc_store']), (coco, d['coco_store']),
                      (folder, d['photos_store'])]:
        ids = [ds.get_data_info(i)['hg_id'] for i in range(len(ds))]
        assert sorted(ids) == sorted(HierarchyStore(store).ids())
        assert ds.get_data_info(0)['hg_store'] == store
    assert [voc.get_data_info(i)['hg_id'] for i in range(2)] == [
        n + '.jpg' for n in open(osp.join(
            d['voc'], 'ImageSets/Segmentation/train_aug.txt')).read().split()]
    both = ConcatDataset([voc, coco])
    assert len(both) == 4
    assert both[3]['data_samples'].hg_labels.shape == (2, SIZE, SIZE)


def test_packed_sample_follows_the_contract(hg_data):
    ds = folder_dataset(hg_data, pipeline=pipeline(jitter=True))
    store = HierarchyStore(hg_data['photos_store'])
    np.random.seed(0)
    for i in range(len(ds)):
        out = ds[i]
        s = out['data_samples']
        hier = store.get(s.hg_id)
        r = hier.dist.shape[0]
        assert len(out['inputs']) == 2
        assert all(x.shape == (3, SIZE, SIZE) and x.dtype == torch.uint8
                   for x in out['inputs'])
        assert s.hg_labels.dtype == torch.int64
        assert s.hg_labels.shape == (2, SIZE, SIZE)
        assert 0 <= int(s.hg_labels.min()) and int(s.hg_labels.max()) < r
        assert s.hg_dist.dtype == torch.float32
        torch.testing.assert_close(s.hg_dist, torch.from_numpy(hier.dist))
        assert s.hg_boxes.dtype == torch.float32 and s.hg_boxes.shape == (2, 4)
        assert s.hg_flips.dtype == torch.bool and s.hg_flips.shape == (2,)
        assert s.ori_shape == hier.labels.shape
        # the contract: view pixel -> original coordinates -> same label
        vv, uu = np.mgrid[:SIZE, :SIZE]
        for v in range(2):
            box = s.hg_boxes[v].numpy()
            assert 0 <= box[0] < box[2] <= hier.width
            assert 0 <= box[1] < box[3] <= hier.height
            x, y = view_to_original(uu, vv, box, bool(s.hg_flips[v]),
                                    (SIZE, SIZE))
            np.testing.assert_array_equal(
                hier.labels[np.floor(y).astype(int), np.floor(x).astype(int)],
                s.hg_labels[v].numpy())
    # the two views of one image are cropped independently
    assert not torch.equal(s.hg_boxes[0], s.hg_boxes[1])


def test_full_size_loading_gives_identical_views(hg_data):
    a = folder_dataset(hg_data, pipeline=pipeline(jitter=False))
    b = folder_dataset(hg_data, pipeline=pipeline(
        jitter=False, loader=dict(type='HGLoadHierarchy', full_size=True)))
    for i in range(len(a)):
        np.random.seed(i)
        sa = a[i]
        np.random.seed(i)
        sb = b[i]
        assert torch.equal(sa['data_samples'].hg_labels,
                           sb['data_samples'].hg_labels)
        assert all(torch.equal(x, y)
                   for x, y in zip(sa['inputs'], sb['inputs']))


def test_batch_collates_and_preprocesses(hg_data):
    from mmselfsup.models.utils import SelfSupDataPreprocessor
    ds = folder_dataset(hg_data, pipeline=pipeline())
    batch = default_collate([ds[0], ds[1]])
    pre = SelfSupDataPreprocessor(mean=(123.675, 116.28, 103.53),
                                  std=(58.395, 57.12, 57.375),
                                  bgr_to_rgb=True)
    inputs, samples = pre(batch, training=True)
    assert len(inputs) == 2 and inputs[0].shape == (2, 3, SIZE, SIZE)
    assert inputs[0].dtype == torch.float32
    assert [s.hg_labels.shape for s in samples] == [(2, SIZE, SIZE)] * 2


def test_missing_hierarchy_names_image_and_store(hg_data, tmp_path):
    folder = tmp_path / 'photos'
    shutil.copytree(hg_data['photos'], folder)
    img = cv2.imread(str(next(folder.glob('*.jpg'))))
    cv2.imwrite(str(folder / 'zz_new.jpg'), img)
    store = hg_data['photos_store']
    # at start-up, before any training
    with pytest.raises(HierarchyMismatchError) as e:
        HierarchyDataset(store=store, data_prefix=dict(img_path=str(folder)))
    assert str(folder / 'zz_new.jpg') in str(e.value) and store in str(e.value)
    assert '1 of 5 images' in str(e.value)
    # and in the loading transform when the start-up check is off
    ds = HierarchyDataset(store=store, data_prefix=dict(img_path=str(folder)),
                          check_store=False, pipeline=pipeline())
    with pytest.raises(HierarchyMismatchError) as e:
        ds[len(ds) - 1]
    assert str(folder / 'zz_new.jpg') in str(e.value) and store in str(e.value)


def test_size_mismatch_names_image_and_store(hg_data, tmp_path):
    folder = tmp_path / 'photos'
    shutil.copytree(hg_data['photos'], folder)
    ds = HierarchyDataset(store=hg_data['photos_store'],
                          data_prefix=dict(img_path=str(folder)),
                          pipeline=pipeline())
    path = ds.get_data_info(0)['img_path']
    img = cv2.imread(path)
    h, w = img.shape[:2]
    cv2.imwrite(path, cv2.resize(img, (w // 2, h // 2)))
    with pytest.raises(HierarchyMismatchError) as e:
        ds[0]
    msg = str(e.value)
    assert path in msg and hg_data['photos_store'] in msg
    assert f'{h}x{w}' in msg and f'{h // 2}x{w // 2}' in msg


def test_missing_store_is_named(tmp_path, hg_data):
    with pytest.raises(FileNotFoundError, match='nowhere'):
        HierarchyDataset(store=str(tmp_path / 'nowhere'),
                         data_prefix=dict(img_path=hg_data['photos']))


def test_multiview_needs_the_hg_crop():
    t = TRANSFORMS.build(dict(type='HGMultiView', num_views=2, transforms=[
        dict(type='RandomFlip', prob=0.5)]))
    with pytest.raises(KeyError, match='HGRandomResizedCropFlip'):
        t(dict(img=np.zeros((8, 8, 3), np.uint8),
               hg_labels=np.zeros((8, 8), np.uint8)))
