"""The embedding picture (HG Figure 2): PCA maths on embeddings made by hand,
and tools/visualize_embedding.py end to end on two packaged photos."""
import os
import sys

import cv2
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from skimage import data

from dense_ssl.applications.embedding_pca import embeddings_to_rgb, fit_pca

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, 'tools'))

import visualize_embedding as tool  # noqa: E402

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


def test_fit_pca_finds_the_one_direction_of_a_line():
    # cells m + t * u with u = (0, 3, 4) / 5: one component explains all
    u = torch.tensor([0., 0.6, 0.8])
    m = torch.tensor([1., -2., 0.5])
    t = torch.linspace(-2, 2, 12)
    emb = (m[:, None] + u[:, None] * t[None]).view(3, 3, 4)
    mean, comps, ratio = fit_pca([emb], n_components=2)
    assert torch.allclose(mean, m, atol=1e-6)
    assert torch.allclose(comps[0], u, atol=1e-6)  # sign: largest loading > 0
    assert ratio[0].item() == pytest.approx(1.0, abs=1e-6)
    assert ratio[1].item() == pytest.approx(0.0, abs=1e-6)


def test_one_pca_for_all_images_same_vector_same_colour():
    # image A: left half a, right half b; image B: all b, 2 cells of c
    a, b, c = (torch.tensor(v) for v in ([1., 0, 0, 0], [0., 1, 0, 0],
                                          [0., 0, 1, 0]))
    ea = torch.stack([a, a, b, b], 1).view(4, 1, 4).repeat(1, 2, 1)
    eb = b.view(4, 1, 1).repeat(1, 2, 4)
    eb[:, 0, :2] = c[:, None]
    pics, ratio = embeddings_to_rgb([ea, eb], [2, 2], [(4, 8), (3, 7)])
    assert pics[0].shape == (4, 8, 3) and pics[1].shape == (3, 7, 3)
    assert pics[0].dtype == np.uint8
    # cell centres (stride 2: pixel 2 * j + 0.5 lies in cell j, weight 3/4)
    # take the colour of their vector: b's colour is shared by both images
    assert np.array_equal(pics[0][1, 7], pics[1][2, 6])
    assert not np.array_equal(pics[0][1, 0], pics[0][1, 7])
    # three points span two directions: all of the variance in 2 components
    assert ratio.sum().item() == pytest.approx(1.0, abs=1e-6)


def test_projecting_then_upsampling_equals_upsampling_then_projecting():
    # why the module projects the cells first: the PCA map is affine and
    # bilinear weights sum to one
    g = torch.Generator().manual_seed(0)
    emb = torch.randn(6, 5, 7, generator=g)
    mean, comps, _ = fit_pca([emb])
    up = F.interpolate(emb[None], scale_factor=4, mode='bilinear',
                       align_corners=False)[0]
    after = torch.einsum('dhw,cd->chw', up - mean.view(-1, 1, 1), comps)
    first = torch.einsum('dhw,cd->chw', emb - mean.view(-1, 1, 1), comps)
    before = F.interpolate(first[None], scale_factor=4, mode='bilinear',
                           align_corners=False)[0]
    assert torch.allclose(after, before, atol=1e-5)


@pytest.fixture(scope='module')
def photos(tmp_path_factory):
    root = tmp_path_factory.mktemp('embed')
    for name in ('astronaut', 'chelsea'):
        rgb = getattr(data, name)()
        cv2.imwrite(str(root / f'{name}.png'),
                    cv2.cvtColor(rgb[::4, ::4], cv2.COLOR_RGB2BGR))
    cfg = root / 'tiny_hg.py'
    cfg.write_text(TINY_CFG)
    return root, cfg


def test_tool_draws_photo_and_random_init_rows(photos, capsys):
    root, cfg = photos
    out = root / 'fig' / 'embedding.png'
    assert tool.main([str(cfg), '--random-init', '--images', str(root),
                      '--out', str(out), '--max-side', '96']) == 0
    img = cv2.imread(str(out))
    assert img is not None
    h, w = img.shape[:2]
    # 2 rows (photos) x 2 columns (photo, random init): about 2.6 x 3.2 in
    # per panel at 72 dpi
    assert abs(h - 2 * 2.6 * 72) <= 2 and abs(w - 2 * 3.2 * 72) <= 2
    printed = capsys.readouterr().out
    assert 'random init: 32-d embedding, stride 4' in printed


def test_tool_errors_name_the_option(photos):
    root, cfg = photos
    with pytest.raises(SystemExit, match='--checkpoint, --random-init'):
        tool.main([str(cfg), '--images', str(root), '--out', 'x.png'])
    with pytest.raises(SystemExit, match='--images nowhere: no such file'):
        tool.main([str(cfg), '--random-init', '--images', 'nowhere',
                   '--out', 'x.png'])
    with pytest.raises(SystemExit, match='config missing.py: no such file'):
        tool.main(['missing.py', '--random-init', '--images', str(root),
                   '--out', 'x.png'])
