"""Weighted k-NN on global features (issue 12, item 3): the maths by hand,
and tools/knn_eval.py end to end on a tiny image-folder set."""
import json
import math
import os.path as osp
import subprocess
import sys

import cv2
import pytest
import torch

from dense_ssl.evaluation.knn import knn_scores, topk_accuracy

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

# unit vectors at 0, 36.87, 53.13 and 90 degrees: cosines with q = (1, 0)
# are 1, 0.8, 0.6, 0
TRAIN = torch.tensor([[1., 0.], [0.8, 0.6], [0.6, 0.8], [0., 1.]])
LABELS = torch.tensor([0, 1, 1, 0])


def test_vote_weights_by_hand():
    q = torch.tensor([[2., 0.]])  # normalised inside: (1, 0)
    # k = 3, T = 1: class 0 gets e^1 = 2.718, class 1 e^0.8 + e^0.6 = 4.048
    s = knn_scores(TRAIN, LABELS, q, num_classes=2, k=3, temperature=1.0)
    assert s[0, 0].item() == pytest.approx(math.e)
    assert s[0, 1].item() == pytest.approx(math.exp(0.8) + math.exp(0.6))
    assert s.argmax(1).item() == 1  # two close neighbours outvote one
    # T = 0.1: e^10 = 22026 against e^8 + e^6 = 3384: the nearest wins
    s = knn_scores(TRAIN, LABELS, q, num_classes=2, k=3, temperature=0.1)
    assert s[0, 0].item() == pytest.approx(math.exp(10), rel=1e-5)
    assert s[0, 1].item() == pytest.approx(math.exp(8) + math.exp(6),
                                           rel=1e-5)
    assert s.argmax(1).item() == 0


def test_leave_one_out_and_accuracy_by_hand():
    # k = 1 leave-one-out: sample 0's nearest other is 1 (label 1, wrong),
    # 1 -> 2 (cos 0.96, right), 2 -> 1 (right), 3 -> 2 (cos 0.8, wrong)
    s = knn_scores(TRAIN, LABELS, TRAIN, 2, k=1, exclude_self=True)
    assert s.argmax(1).tolist() == [1, 1, 1, 1]
    assert topk_accuracy(s, LABELS, topk=(1, 5)) == {'top1': 50.0}
    # without leaving out, each sample finds itself: 100 %
    s = knn_scores(TRAIN, LABELS, TRAIN, 2, k=1)
    assert topk_accuracy(s, LABELS, topk=(1, )) == {'top1': 100.0}


def test_separable_clusters_chunked():
    # three well separated clusters; queries near their centres; chunks of
    # 2 queries give the same scores as one block
    g = torch.Generator().manual_seed(0)
    centres = torch.eye(3) * 10
    train = torch.cat([c + torch.randn(5, 3, generator=g) for c in centres])
    labels = torch.arange(3).repeat_interleave(5)
    query = centres + 0.5 * torch.randn(3, 3, generator=g)
    a = knn_scores(train, labels, query, 3, k=5, chunk_size=2)
    b = knn_scores(train, labels, query, 3, k=5, chunk_size=100)
    torch.testing.assert_close(a, b)
    assert topk_accuracy(a, torch.arange(3), topk=(1, 2)) == {
        'top1': 100.0, 'top2': 100.0}


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match='4 training features but 3'):
        knn_scores(TRAIN, LABELS[:3], TRAIN, 2)
    with pytest.raises(ValueError, match='temperature'):
        knn_scores(TRAIN, LABELS, TRAIN, 2, temperature=0)


def _folder_set(root):
    """train/<photo>/{0,1}.png: two crops of each of 3 packaged photos;
    val/: four of them in their right class folder, two in a wrong one."""
    from prepare_demo_data import demo_photos
    photos = dict(sorted(demo_photos().items())[:3])
    crops = {}
    for name, img in photos.items():
        h, w = img.shape[:2]
        s = min(h, w) // 2
        crops[name] = [cv2.resize(img[:s, :s], (64, 64)),
                       cv2.resize(img[h - s:, w - s:], (64, 64))]
        (root / 'train' / name).mkdir(parents=True)
        (root / 'val' / name).mkdir(parents=True)
        for i, c in enumerate(crops[name]):
            cv2.imwrite(str(root / 'train' / name / f'{i}.png'), c)
    names = list(photos)
    # val: crop 0 of every photo in its own class; crop 1 of the first two
    # photos filed under the next photo's class (labels that k=1 must miss)
    for name in names:
        cv2.imwrite(str(root / 'val' / name / 'own.png'), crops[name][0])
    cv2.imwrite(str(root / 'val' / names[1] / 'x.png'), crops[names[0]][1])
    cv2.imwrite(str(root / 'val' / names[2] / 'x.png'), crops[names[1]][1])
    cv2.imwrite(str(root / 'val' / names[0] / 'y.png'), crops[names[2]][1])
    return root


def test_tool_end_to_end_hand_checked_accuracy(tmp_path):
    """Every val image is a copy of a training image, so with k = 1 its
    nearest neighbour is that copy (cosine 1) whatever the weights: 3 of
    the 6 val images are filed under their own photo -> 50.00 %."""
    data = _folder_set(tmp_path / 'set')
    out = tmp_path / 'knn.json'
    proc = subprocess.run(
        [sys.executable, 'tools/knn_eval.py', 'configs/demo/densecl_demo.py',
         '--train', str(data / 'train'), '--val', str(data / 'val'),
         '--k', '1', '3', '--resize', '64', '--crop', '64', '--out',
         str(out)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'k-NN k=1 T=0.07: top1 50.00%' in proc.stdout, proc.stdout
    assert 'features: 6/6 images' in proc.stdout  # progress with ETA
    res = json.loads(out.read_text())
    assert res['num_train'] == 6 and res['num_query'] == 6
    assert res['results']['k=1'] == {'top1': 50.0}


def test_tool_names_a_bad_folder(tmp_path):
    (tmp_path / 'empty' / 'cls').mkdir(parents=True)
    proc = subprocess.run(
        [sys.executable, 'tools/knn_eval.py', 'configs/demo/densecl_demo.py',
         '--train', str(tmp_path / 'empty')], cwd=ROOT, capture_output=True,
        text=True, timeout=120)
    assert proc.returncode != 0
    assert f'{tmp_path / "empty"}: no images in class sub-folders' in \
        proc.stderr
