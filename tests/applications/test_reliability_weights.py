"""A checkpoint of another ResNet depth given to the tools: a clear error
naming the file and the first differing tensor (issue 11, item 10)."""
import numpy as np
import pytest
import segment_retrieval as seg_tool
import torch
import track_masks as track_tool
import visualize_correspondence as corr_tool
from PIL import Image

from dense_ssl.applications.embedding import DenseEmbedder

CFG = """
default_scope = 'dense_ssl'
custom_imports = dict(imports=['dense_ssl'], allow_failed_imports=False)
model = dict(
    type='HierGroup',
    backbone=dict(type='ResNet', depth={depth}, out_indices=(3, 4)),
    neck=dict(type='HypercolumnNeck', in_channels={channels}))
"""
MISMATCH = (r'r18\.pth: weights of another architecture: \d+ tensors differ'
            r'.*backbone\.layer1\.0\.conv1\.weight is \(64, 64, 3, 3\) in the '
            r'checkpoint but \(64, 64, 1, 1\)')


@pytest.fixture(scope='module')
def r18_ckpt_r50_cfg(tmp_path_factory):
    root = tmp_path_factory.mktemp('depth')
    (root / 'r18.py').write_text(CFG.format(depth=18, channels=(256, 512)))
    (root / 'r50.py').write_text(CFG.format(depth=50, channels=(1024, 2048)))
    ckpt = root / 'r18.pth'
    torch.save(dict(meta=dict(epoch=1),
                    state_dict=DenseEmbedder(str(root / 'r18.py'))
                    .model.state_dict()), ckpt)
    img = root / 'img'
    img.mkdir()
    for i in range(2):
        Image.fromarray(np.full((64, 64, 3), 40 * i, np.uint8)).save(
            img / f'{i}.jpg')
    Image.fromarray(np.zeros((64, 64), np.uint8)).save(root / 'mask.png')
    return root, str(root / 'r50.py'), str(ckpt)


def test_embedder_refuses_other_depth(r18_ckpt_r50_cfg):
    _, cfg, ckpt = r18_ckpt_r50_cfg
    with pytest.raises(ValueError, match=MISMATCH):
        DenseEmbedder(cfg, ckpt)


def test_tools_exit_with_the_message(r18_ckpt_r50_cfg):
    root, cfg, ckpt = r18_ckpt_r50_cfg
    img = str(root / 'img')
    with pytest.raises(SystemExit, match=MISMATCH):
        seg_tool.main([cfg, '--checkpoint', ckpt, '--db-images', img,
                       '--db-labels', img, '--query-images', img,
                       '--query-labels', img])
    with pytest.raises(SystemExit, match=MISMATCH):
        track_tool.main([cfg, '--checkpoint', ckpt, '--frames', img,
                         '--first-mask', str(root / 'mask.png'),
                         '--out', str(root / 'track')])
    backbone = corr_tool.build_backbone(cfg)
    with pytest.raises(SystemExit, match=MISMATCH.replace(
            'backbone\\.layer1', 'layer1')):
        corr_tool.load_backbone_weights(backbone, ckpt)
