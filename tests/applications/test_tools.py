"""tools/segment_retrieval.py and tools/track_masks.py end to end on tiny
data, with a ResNet-18 HierGroup built from a config written here."""
import argparse
import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from skimage import data, measure

from dense_ssl.applications import image_io
from dense_ssl.applications.embedding import DenseEmbedder
from dense_ssl.applications.metrics import (confusion_matrix,
                                            iou_from_confusion,
                                            region_similarity)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
TOOLS = os.path.join(ROOT, 'tools')
sys.path.insert(0, TOOLS)

import segment_retrieval as seg_tool  # noqa: E402
import track_masks as track_tool  # noqa: E402

TINY_CFG = """
default_scope = 'dense_ssl'
custom_imports = dict(imports=['dense_ssl'], allow_failed_imports=False)
model = dict(
    type='HierGroup',
    data_preprocessor=dict(type='SelfSupDataPreprocessor',
                           mean=(123.675, 116.28, 103.53),
                           std=(58.395, 57.12, 57.375), bgr_to_rgb=True),
    backbone=dict(type='ResNet', depth=18, out_indices=(3, 4)),
    neck=dict(type='HypercolumnNeck', in_channels=(256, 512)))
"""


def small(img, factor=4):
    h, w = (s // factor * factor for s in img.shape[:2])
    img = img[:h, :w].astype(np.float32)
    return img.reshape(h // factor, factor, w // factor, factor,
                       -1).mean((1, 3)).astype(np.uint8)


@pytest.fixture(scope='module')
def tiny(tmp_path_factory):
    """Config + a Runner-style checkpoint of a seeded ResNet-18 HierGroup."""
    root = tmp_path_factory.mktemp('apps')
    cfg = root / 'tiny_hg.py'
    cfg.write_text(TINY_CFG)
    torch.manual_seed(3)
    emb = DenseEmbedder(str(cfg))
    ckpt = root / 'tiny.pth'
    torch.save(dict(meta=dict(epoch=1),
                    state_dict=emb.model.state_dict()), ckpt)
    return root, str(cfg), str(ckpt), emb


@pytest.mark.slow
def test_help_runs():
    for tool in ('segment_retrieval.py', 'track_masks.py'):
        out = subprocess.run([sys.executable, os.path.join(TOOLS, tool),
                              '--help'], capture_output=True, text=True,
                             timeout=60)
        assert out.returncode == 0 and 'usage' in out.stdout


def test_checkpoint_is_loaded(tiny):
    _, cfg, ckpt, saved = tiny
    img = small(data.astronaut())
    torch.manual_seed(99)  # a different random init before loading
    loaded = DenseEmbedder(cfg, ckpt)
    a, stride = saved(img)
    b, _ = loaded(img)
    assert stride == 4 and a.shape == (32, 32, 32)
    torch.testing.assert_close(a, b)
    assert not torch.allclose(a, DenseEmbedder(cfg)(img)[0])


def test_bare_backbone_checkpoint(tiny, tmp_path):
    """An exported backbone (no prefix) serves ``--feature backbone``; the
    hypercolumn then refuses it, naming the missing neck weights."""
    _, cfg, _, saved = tiny
    bare = {k[len('backbone.'):]: v
            for k, v in saved.model.state_dict().items()
            if k.startswith('backbone.')}
    path = str(tmp_path / 'backbone.pth')
    torch.save(bare, path)
    img = small(data.astronaut())  # 128 px: no padding
    torch.manual_seed(5)
    got, stride = DenseEmbedder(cfg, path, feature='backbone')(img)
    want = saved.model.backbone(
        (torch.from_numpy(np.array(img)).permute(2, 0, 1)[None].float() -
         saved.mean) / saved.std)[-1][0]
    assert stride == 32
    torch.testing.assert_close(got, want)
    with pytest.raises(ValueError, match='neck'):
        DenseEmbedder(cfg, path)
    # a pickle that needs an arbitrary global is refused, naming the file
    bad = str(tmp_path / 'bad.pth')
    torch.save(dict(state_dict=bare, meta=argparse.Namespace(a=1)), bad)
    with pytest.raises(ValueError,
                       match='bad.pth: refusing to load.*argparse.Namespace'):
        DenseEmbedder(cfg, bad)


def write_set(folder, images, labels):
    (folder / 'img').mkdir()
    (folder / 'lab').mkdir()
    for i, (img, lab) in enumerate(zip(images, labels)):
        image_io.Image.fromarray(img).save(folder / 'img' / f'{i:02d}.jpg')
        image_io.write_index_png(str(folder / 'lab' / f'{i:02d}.png'), lab)
    return str(folder / 'img'), str(folder / 'lab')


def test_segment_retrieval_tool(tiny, tmp_path, capsys):
    _, cfg, ckpt, _ = tiny
    images = [small(data.astronaut()), small(data.coffee()),
              small(data.chelsea())]
    # 3 classes by brightness terciles, some pixels ignored (255)
    labels = []
    for img in images:
        g = img.mean(2)
        lab = np.digitize(g, np.percentile(g, [33, 66])).astype(np.int64)
        lab[:2] = 255
        labels.append(lab)
    img_dir, lab_dir = write_set(tmp_path, images, labels)
    # ground-truth regions as segments, queries = database: each query
    # segment finds itself (cosine 1), so the prediction is the label map
    res = seg_tool.main([cfg, '--checkpoint', ckpt, '--db-images', img_dir,
                         '--db-labels', lab_dir, '--query-images', img_dir,
                         '--query-labels', lab_dir, '--db-segments',
                         lab_dir, '--query-segments', lab_dir,
                         '--num-classes', '3'])
    assert res['miou'] == pytest.approx(1.0)
    assert 'mIoU: 100.00' in capsys.readouterr().out
    # the paper's protocol: K-means segments; predictions written and the
    # printed mIoU is that of the written maps
    out = tmp_path / 'pred'
    res = seg_tool.main([cfg, '--db-images', img_dir, '--db-labels', lab_dir,
                         '--query-images', img_dir, '--query-labels',
                         lab_dir, '--num-segments', '5', '--knn', '3',
                         '--num-classes', '3', '--out', str(out)])
    conf = sum(confusion_matrix(
        image_io.read_index_png(str(out / f'{i:02d}.png')), lab, 3)
        for i, lab in enumerate(labels))
    assert res['miou'] == pytest.approx(iou_from_confusion(conf)['miou'])
    assert 0.0 <= res['miou'] <= 1.0
    with pytest.raises(SystemExit, match='--db-labels'):
        seg_tool.main([cfg, '--db-images', img_dir, '--db-labels',
                       str(tmp_path), '--query-images', img_dir,
                       '--query-labels', lab_dir])


def test_track_masks_tool(tiny, tmp_path, capsys):
    _, cfg, ckpt, _ = tiny
    img = small(data.astronaut(), 2)  # 256 x 256
    lab = measure.label(img.mean(2) > 180)
    mask = (lab == np.bincount(lab.ravel())[1:].argmax() + 1).astype(int)
    mask[200:230, 20:60] = 2  # a second object (a block of the suit)
    (tmp_path / 'frames').mkdir()
    (tmp_path / 'gt').mkdir()
    size = 120  # not a multiple of 32: the padding path is exercised
    for t in range(4):
        y, x = 4 + 2 * t, 6 + 3 * t
        frame = img[y:y + size * 2:2, x:x + size * 2:2]
        image_io.Image.fromarray(frame).save(tmp_path / 'frames' /
                                             f'{t:05d}.jpg')
        image_io.write_index_png(str(tmp_path / 'gt' / f'{t:05d}.png'),
                                 mask[y:y + size * 2:2, x:x + size * 2:2])
    out = tmp_path / 'out'
    res = track_tool.main([cfg, '--checkpoint', ckpt, '--frames',
                           str(tmp_path / 'frames'), '--first-mask',
                           str(tmp_path / 'gt' / '00000.png'), '--gt',
                           str(tmp_path / 'gt'), '--out', str(out)])
    printed = capsys.readouterr().out
    assert 'J mean' in printed and 'F mean' in printed
    written = sorted(os.listdir(out))
    assert written == [f'{t:05d}.png' for t in range(4)]
    preds = [image_io.read_index_png(str(out / f)) for f in written]
    gts = [image_io.read_index_png(str(tmp_path / 'gt' / f))
           for f in written]
    assert all(p.shape == (size, size) for p in preds)
    np.testing.assert_array_equal(preds[0], gts[0])
    assert set(np.unique(preds[1])) <= {0, 1, 2}
    # the printed J is that of the written masks, frames 1 and 2 (DAVIS
    # leaves out the first and the last)
    j = np.mean([np.mean([region_similarity(preds[t] == i, gts[t] == i)
                          for t in (1, 2)]) for i in (1, 2)])
    assert res['J'] == pytest.approx(j)
    assert res['frames'] == 2
    with pytest.raises(SystemExit, match='--first-mask'):
        track_tool.main([cfg, '--frames', str(tmp_path / 'frames'),
                         '--first-mask', str(tmp_path / 'nope.png'),
                         '--out', str(out)])
