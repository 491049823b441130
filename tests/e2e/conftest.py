"""Tiny real-photo datasets in COCO layout (helpers: e2e_helpers.py)."""
import json

import cv2
import pytest


@pytest.fixture(scope='session')
def coco_tiny(tmp_path_factory):
    """4 packaged photos (long side 160) as COCO train2017 + its json."""
    from prepare_demo_data import demo_photos
    root = tmp_path_factory.mktemp('coco')
    (root / 'train2017').mkdir()
    (root / 'annotations').mkdir()
    images = []
    for i, (name, img) in enumerate(sorted(demo_photos().items())[:4]):
        scale = 160 / max(img.shape[:2])
        img = cv2.resize(img, None, fx=scale, fy=scale,
                         interpolation=cv2.INTER_AREA)
        cv2.imwrite(str(root / 'train2017' / f'{name}.jpg'), img)
        images.append(dict(id=i + 1, file_name=f'{name}.jpg',
                           height=img.shape[0], width=img.shape[1]))
    with open(root / 'annotations' / 'instances_train2017.json', 'w') as f:
        json.dump(dict(images=images, annotations=[], categories=[]), f)
    return root
