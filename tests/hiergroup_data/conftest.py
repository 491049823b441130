"""Real packaged photos in folder / VOC / COCO layouts, with hierarchy stores
built once per session by ``tools/build_hierarchy.py`` (the real builder)."""
import json
import os.path as osp
import subprocess
import sys

import cv2
import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
LONG_SIDE = 160  # small photos: the builder and the pipeline stay fast


def _photos(n):
    from prepare_demo_data import demo_photos  # tools/ is on sys.path
    out = []
    for name, img in sorted(demo_photos().items())[:n]:
        scale = LONG_SIDE / max(img.shape[:2])
        out.append((name, cv2.resize(img, None, fx=scale, fy=scale,
                                     interpolation=cv2.INTER_AREA)))
    return out


def _build(args, out):
    return subprocess.Popen(
        [sys.executable, osp.join(ROOT, 'tools', 'build_hierarchy.py'), *args,
         '--out', str(out), '--no-progress'],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


@pytest.fixture(scope='session')
def hg_data(tmp_path_factory):
    """Paths of a tiny HG data set (6 photos, long side 160):

    * ``photos``: 4 photos in a folder, store ``photos_store``;
    * ``voc``: VOC layout (``JPEGImages`` + ``ImageSets/Segmentation/
      train_aug.txt``, 2 photos), store ``voc_store``;
    * ``coco``: COCO layout (``train2014`` + ``annotations/
      instances_train2014.json``, 2 photos), store ``coco_store``.
    """
    root = tmp_path_factory.mktemp('hg_data')
    photos = _photos(6)
    d = dict(root=root, photos=root / 'photos', voc=root / 'voc',
             coco=root / 'coco', photos_store=root / 'hier' / 'photos',
             voc_store=root / 'hier' / 'voc_train_aug',
             coco_store=root / 'hier' / 'coco_train2014')
    d['photos'].mkdir()
    for name, img in photos[:4]:
        cv2.imwrite(str(d['photos'] / f'{name}.jpg'), img)
    (d['voc'] / 'JPEGImages').mkdir(parents=True)
    (d['voc'] / 'ImageSets' / 'Segmentation').mkdir(parents=True)
    voc_ids = []
    for name, img in photos[:2]:
        voc_ids.append(f'2007_{name}')
        cv2.imwrite(str(d['voc'] / 'JPEGImages' / f'2007_{name}.jpg'), img)
    (d['voc'] / 'ImageSets' / 'Segmentation' / 'train_aug.txt').write_text(
        '\n'.join(voc_ids) + '\n')
    (d['coco'] / 'train2014').mkdir(parents=True)
    (d['coco'] / 'annotations').mkdir()
    images = []
    for i, (_name, img) in enumerate(photos[2:4]):
        fname = f'COCO_train2014_{i + 1:012d}.jpg'
        cv2.imwrite(str(d['coco'] / 'train2014' / fname), img)
        images.append(dict(id=i + 1, file_name=fname, height=img.shape[0],
                           width=img.shape[1]))
    with open(d['coco'] / 'annotations' / 'instances_train2014.json',
              'w') as f:
        json.dump(dict(images=images, annotations=[], categories=[]), f)
    procs = [
        _build([str(d['photos'])], d['photos_store']),
        _build(['--voc-list',
                str(d['voc'] / 'ImageSets' / 'Segmentation' / 'train_aug.txt'),
                '--img-root', str(d['voc'] / 'JPEGImages')], d['voc_store']),
        _build(['--coco-json',
                str(d['coco'] / 'annotations' / 'instances_train2014.json'),
                '--img-root', str(d['coco'] / 'train2014')], d['coco_store']),
    ]
    for p in procs:
        out = p.communicate(timeout=300)[0]
        assert p.returncode == 0, out
    return {k: str(v) for k, v in d.items()}


@pytest.fixture(autouse=True)
def _dense_ssl_scope():
    """Build transforms and datasets under the dense_ssl scope."""
    import dense_ssl  # noqa: F401
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('dense_ssl'):
        yield
