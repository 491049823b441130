"""Tiny VOC / COCO / VOC-segmentation datasets from packaged real photos.

The quokka photo of imgaug carries a real box and polygon (read from the
package directory, imgaug itself is never imported). The skimage photos get
hand-placed boxes around their subject and an inscribed ellipse as mask.
Photos are shrunk to a long side of ``LONG_SIDE`` pixels.
"""
import json
import os
import os.path as osp
from typing import Dict, List, Tuple
from xml.etree import ElementTree as ET

import cv2
import numpy as np
from PIL import Image

LONG_SIDE = 160


def _imgaug_dir() -> str:
    import importlib.util
    spec = importlib.util.find_spec('imgaug')  # locates, does not import
    return osp.dirname(spec.origin)


def photos() -> List[Dict]:
    """Photos (BGR), one object each: class, box (x1, y1, x2, y2), polygon."""
    import skimage.data
    ann = json.load(open(osp.join(_imgaug_dir(), 'quokka_annotations.json')))
    box = ann['bounding_boxes'][0]
    quokka = dict(
        name='quokka', img=cv2.imread(osp.join(_imgaug_dir(), 'quokka.jpg')),
        voc='dog', coco='dog',
        box=(box['x1'], box['y1'], box['x2'], box['y2']),
        polygon=[(p['x'], p['y']) for p in ann['polygons'][0]['keypoints']])
    items = [quokka]
    # hand-placed boxes around the subject of each skimage photo
    for name, voc, coco, box in [
        ('astronaut', 'person', 'person', (20, 0, 480, 511)),
        ('chelsea', 'cat', 'cat', (40, 10, 430, 299)),
    ]:
        rgb = getattr(skimage.data, name)()
        x1, y1, x2, y2 = box
        t = np.linspace(0, 2 * np.pi, 24, endpoint=False)
        cx, cy, rx, ry = (x1 + x2) / 2, (y1 + y2) / 2, (x2 - x1) / 2, (
            y2 - y1) / 2
        polygon = list(zip(cx + rx * np.cos(t), cy + ry * np.sin(t)))
        items.append(dict(name=name, img=cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR),
                          voc=voc, coco=coco, box=box, polygon=polygon))
    for it in items:  # shrink photo and annotations together
        s = LONG_SIDE / max(it['img'].shape[:2])
        it['img'] = cv2.resize(it['img'], None, fx=s, fy=s,
                               interpolation=cv2.INTER_AREA)
        h, w = it['img'].shape[:2]
        x1, y1, x2, y2 = (v * s for v in it['box'])
        it['box'] = (max(x1, 0), max(y1, 0), min(x2, w - 1), min(y2, h - 1))
        it['polygon'] = [(x * s, y * s) for x, y in it['polygon']]
    return items


def mask_of(item: Dict) -> np.ndarray:
    h, w = item['img'].shape[:2]
    mask = np.zeros((h, w), np.uint8)
    cv2.fillPoly(mask, [np.round(item['polygon']).astype(np.int32)], 1)
    return mask


def _voc_xml(item: Dict, path: str) -> None:
    h, w = item['img'].shape[:2]
    root = ET.Element('annotation')
    size = ET.SubElement(root, 'size')
    for k, v in (('width', w), ('height', h), ('depth', 3)):
        ET.SubElement(size, k).text = str(v)
    obj = ET.SubElement(root, 'object')
    ET.SubElement(obj, 'name').text = item['voc']
    ET.SubElement(obj, 'difficult').text = '0'
    bnd = ET.SubElement(obj, 'bndbox')
    # VOC boxes are 1-based pixel indices
    for k, v in zip(('xmin', 'ymin', 'xmax', 'ymax'), item['box']):
        ET.SubElement(bnd, k).text = str(int(round(v)) + 1)
    ET.ElementTree(root).write(path)


def make_voc_detection(root: str) -> str:
    """VOCdevkit with VOC2007 (trainval + test) and VOC2012 (trainval)."""
    items = photos()
    ids = [it['name'] for it in items]
    for year, sets in (('VOC2007', ('trainval', 'test')),
                       ('VOC2012', ('trainval', ))):
        base = osp.join(root, 'VOCdevkit', year)
        for sub in ('JPEGImages', 'Annotations', 'ImageSets/Main'):
            os.makedirs(osp.join(base, sub), exist_ok=True)
        for it in items:
            cv2.imwrite(osp.join(base, 'JPEGImages', it['name'] + '.jpg'),
                        it['img'])
            _voc_xml(it, osp.join(base, 'Annotations', it['name'] + '.xml'))
        for s in sets:
            with open(osp.join(base, 'ImageSets/Main', s + '.txt'), 'w') as f:
                f.write('\n'.join(ids) + '\n')
    return osp.join(root, 'VOCdevkit') + '/'


def make_coco(root: str) -> str:
    """COCO layout with train2017 / val2017 (same photos) and instance json."""
    from mmdet.datasets import CocoDataset
    items = photos()
    # every COCO class is listed (as in the real json): the model predicts
    # all 80 and the evaluator maps each label to a category id
    names = list(CocoDataset.METAINFO['classes'])
    cats = [dict(id=i + 1, name=n) for i, n in enumerate(names)]
    for split in ('train2017', 'val2017'):
        os.makedirs(osp.join(root, split), exist_ok=True)
        images, anns = [], []
        for i, it in enumerate(items):
            h, w = it['img'].shape[:2]
            cv2.imwrite(osp.join(root, split, it['name'] + '.jpg'), it['img'])
            images.append(dict(id=i + 1, file_name=it['name'] + '.jpg',
                               height=h, width=w))
            x1, y1, x2, y2 = it['box']
            anns.append(dict(
                id=i + 1, image_id=i + 1, iscrowd=0,
                category_id=names.index(it['coco']) + 1,
                bbox=[x1, y1, x2 - x1, y2 - y1],
                area=float(mask_of(it).sum()),
                segmentation=[[c for p in it['polygon'] for c in p]]))
        os.makedirs(osp.join(root, 'annotations'), exist_ok=True)
        with open(osp.join(root, 'annotations', f'instances_{split}.json'),
                  'w') as f:
            json.dump(dict(images=images, annotations=anns, categories=cats),
                      f)
    return root + '/'


def voc_palette() -> List[int]:
    """The PASCAL VOC colour map (bit-interleaved), 256 x RGB."""
    palette = []
    for label in range(256):
        r = g = b = 0
        c = label
        for j in range(8):
            r |= ((c >> 0) & 1) << (7 - j)
            g |= ((c >> 1) & 1) << (7 - j)
            b |= ((c >> 2) & 1) << (7 - j)
            c >>= 3
        palette += [r, g, b]
    return palette


VOC_SEG_CLASSES = ('background', 'aeroplane', 'bicycle', 'bird', 'boat',
                   'bottle', 'bus', 'car', 'cat', 'chair', 'cow',
                   'diningtable', 'dog', 'horse', 'motorbike', 'person',
                   'pottedplant', 'sheep', 'sofa', 'train', 'tvmonitor')


def make_voc_segmentation(root: str) -> Tuple[str, Dict[str, np.ndarray]]:
    """VOC2012 with palette PNG masks (SegmentationClass and ...Aug).

    Returns:
        The data root and the label map of each image id.
    """
    base = osp.join(root, 'VOCdevkit', 'VOC2012')
    for sub in ('JPEGImages', 'SegmentationClass', 'SegmentationClassAug',
                'ImageSets/Segmentation'):
        os.makedirs(osp.join(base, sub), exist_ok=True)
    labels = {}
    for it in photos():
        cv2.imwrite(osp.join(base, 'JPEGImages', it['name'] + '.jpg'),
                    it['img'])
        label = mask_of(it) * VOC_SEG_CLASSES.index(it['voc'])
        png = Image.fromarray(label.astype(np.uint8), mode='P')
        png.putpalette(voc_palette())
        for sub in ('SegmentationClass', 'SegmentationClassAug'):
            png.save(osp.join(base, sub, it['name'] + '.png'))
        labels[it['name']] = label
    for s in ('train', 'aug', 'val'):
        with open(osp.join(base, 'ImageSets/Segmentation', s + '.txt'),
                  'w') as f:
            f.write('\n'.join(sorted(labels)) + '\n')
    return base, labels


def make_imagenet(root: str) -> str:
    """ImageNet's layout (train/<wnid>/*.JPEG, val/*.JPEG, meta/{train,val}.txt
    of "path label" lines) with one class per packaged photo: 4 flipped or
    shifted copies in train, the photo itself in val."""
    items = photos()
    train, val = [], []
    for label, it in enumerate(items):
        wnid = f'n{label:08d}'
        os.makedirs(osp.join(root, 'train', wnid), exist_ok=True)
        for k, img in enumerate([it['img'], it['img'][:, ::-1],
                                 np.roll(it['img'], 8, axis=1),
                                 np.roll(it['img'], -8, axis=0)]):
            name = f'{wnid}/{wnid}_{k}.JPEG'
            cv2.imwrite(osp.join(root, 'train', name), img)
            train.append(f'{name} {label}')
        os.makedirs(osp.join(root, 'val'), exist_ok=True)
        cv2.imwrite(osp.join(root, 'val', f'val_{label}.JPEG'), it['img'])
        val.append(f'val_{label}.JPEG {label}')
    os.makedirs(osp.join(root, 'meta'), exist_ok=True)
    for name, lines in (('train', train), ('val', val)):
        with open(osp.join(root, 'meta', f'{name}.txt'), 'w') as f:
            f.write('\n'.join(lines) + '\n')
    return root
