"""tools/model_converters/extract_backbone.py on a real Runner checkpoint."""
import argparse
import os.path as osp
import pickle
import subprocess
import sys

import numpy as np
import pytest
import torch
import torchvision

import extract_backbone
from dense_ssl.checkpoint_safety import CheckpointError, safe_load
from dense_ssl.transfer.resnet_keys import ArchitectureError, detectron2_key

TOOL = osp.join(osp.dirname(extract_backbone.__file__), 'extract_backbone.py')
# ResNet-50 by hand: stem conv + 5 BN tensors; 16 bottlenecks x (3 convs +
# 3 x 5 BN tensors); 4 downsample branches x (conv + 5 BN tensors)
R50_TENSORS = 1 + 5 + 16 * (3 + 15) + 4 * (1 + 5)  # = 318


def source(checkpoint, prefix='backbone.'):
    sd = safe_load(checkpoint)['state_dict']
    return {k[len(prefix):]: v for k, v in sd.items() if k.startswith(prefix)}


def test_openmmlab_export_keeps_prefix_and_counts(pretrain_checkpoint,
                                                  tmp_path, capsys):
    out = str(tmp_path / 'bb.pth')
    assert extract_backbone.main([pretrain_checkpoint, out]) == 0
    total = len(safe_load(pretrain_checkpoint)['state_dict'])
    printed = capsys.readouterr().out
    assert (f'ResNet-50: kept {R50_TENSORS} backbone tensors, dropped '
            f'{total - R50_TENSORS} (') in printed
    assert 'encoder_k: ' in printed and 'neck: 8' in printed
    # plain tensors and simple meta: torch's default safe loading reads it
    loaded = torch.load(out, weights_only=True)
    assert loaded['meta']['arch'] == 'ResNet-50'
    src = source(pretrain_checkpoint)
    assert len(src) == R50_TENSORS
    assert set(loaded['state_dict']) == {'backbone.' + k for k in src}
    for k, v in src.items():
        assert torch.equal(loaded['state_dict']['backbone.' + k], v), k


def test_key_encoder_prefix(pretrain_checkpoint, tmp_path):
    out = str(tmp_path / 'key.pth')
    summary = extract_backbone.export(pretrain_checkpoint, out,
                                      prefix='encoder_k.module.0.')
    assert summary['kept'] == R50_TENSORS
    key = source(pretrain_checkpoint, 'encoder_k.module.0.')
    got = torch.load(out, weights_only=True)['state_dict']
    assert torch.equal(got['backbone.layer4.2.conv3.weight'],
                       key['layer4.2.conv3.weight'])


def test_torchvision_strict_load(pretrain_checkpoint, tmp_path):
    out = str(tmp_path / 'tv.pth')
    assert extract_backbone.main(
        [pretrain_checkpoint, out, '--format', 'torchvision']) == 0
    sd = torch.load(out, weights_only=True)
    model = torchvision.models.resnet50()
    model.load_state_dict(sd, strict=True)
    src = source(pretrain_checkpoint)
    tv = model.state_dict()
    assert set(tv) == set(src) | {'fc.weight', 'fc.bias'}
    for k, v in src.items():
        assert torch.equal(tv[k], v), k
    # no classifier was pre-trained: zeros, documented
    assert tv['fc.weight'].shape == (1000, 2048)
    assert not tv['fc.weight'].any() and not tv['fc.bias'].any()


def test_resnet18_layout_to_torchvision(tmp_path):
    # basic blocks, and layer1 of ResNet-18 has no downsample branch
    from mmselfsup.models.backbones import ResNet
    net = ResNet(depth=18)
    ckpt = str(tmp_path / 'r18.pth')
    torch.save({'state_dict': {'backbone.' + k: v
                               for k, v in net.state_dict().items()}}, ckpt)
    out = str(tmp_path / 'r18_tv.pth')
    summary = extract_backbone.export(ckpt, out, fmt='torchvision',
                                      num_classes=10)
    assert summary['arch'] == 'ResNet-18'
    model = torchvision.models.resnet18(num_classes=10)
    model.load_state_dict(torch.load(out, weights_only=True), strict=True)
    assert torch.equal(model.layer2[0].downsample[1].running_var,
                       net.layer2[0].downsample[1].running_var)


@pytest.mark.parametrize('mm, d2', [
    ('conv1.weight', 'stem.conv1.weight'),
    ('bn1.running_mean', 'stem.conv1.norm.running_mean'),
    ('layer1.0.conv1.weight', 'res2.0.conv1.weight'),
    ('layer1.0.bn2.bias', 'res2.0.conv2.norm.bias'),
    ('layer1.0.downsample.0.weight', 'res2.0.shortcut.weight'),
    ('layer1.0.downsample.1.weight', 'res2.0.shortcut.norm.weight'),
    ('layer4.2.bn3.running_var', 'res5.2.conv3.norm.running_var'),
])
def test_detectron2_key(mm, d2):
    assert detectron2_key(mm) == d2


def test_detectron2_pickle(pretrain_checkpoint, tmp_path):
    out = str(tmp_path / 'd2.pkl')
    assert extract_backbone.main(
        [pretrain_checkpoint, out, '--format', 'detectron2']) == 0
    with open(out, 'rb') as f:
        obj = pickle.load(f)
    assert obj['__author__'] == 'dense_ssl' and obj['matching_heuristics']
    model, src = obj['model'], source(pretrain_checkpoint)
    assert len(model) == R50_TENSORS
    assert all(isinstance(v, np.ndarray) for v in model.values())
    for d2, mm in [('stem.conv1.weight', 'conv1.weight'),
                   ('stem.conv1.norm.bias', 'bn1.bias'),
                   ('res3.0.shortcut.weight', 'layer2.0.downsample.0.weight'),
                   ('res4.5.conv2.norm.running_mean',
                    'layer3.5.bn2.running_mean'),
                   ('res5.2.conv3.weight', 'layer4.2.conv3.weight')]:
        np.testing.assert_array_equal(model[d2], src[mm].numpy())
    assert not any('layer' in k or 'downsample' in k or '.bn' in k
                   for k in model)


def test_no_backbone_is_a_clear_error(tmp_path, capsys):
    ckpt = str(tmp_path / 'neck_only.pth')
    torch.save({'state_dict': {'neck.mlp.0.weight': torch.zeros(2, 2),
                               'queue': torch.zeros(2, 4)}}, ckpt)
    assert extract_backbone.main([ckpt, str(tmp_path / 'o.pth')]) == 1
    err = capsys.readouterr().err
    assert 'no backbone weights' in err and 'neck, queue' in err
    assert ckpt in err


def test_vit_is_a_clear_error(tmp_path, capsys):
    from mmcls.models import VisionTransformer
    vit = VisionTransformer(arch='deit-tiny', img_size=32, patch_size=16)
    ckpt = str(tmp_path / 'vit.pth')
    torch.save({'state_dict': {'backbone.' + k: v
                               for k, v in vit.state_dict().items()}}, ckpt)
    assert extract_backbone.main([ckpt, str(tmp_path / 'o.pth')]) == 1
    assert 'Vision Transformer' in capsys.readouterr().err
    with pytest.raises(ArchitectureError, match='Vision Transformer'):
        extract_backbone.export(ckpt, str(tmp_path / 'o.pth'))


def test_unsafe_object_is_refused(tmp_path):
    ckpt = str(tmp_path / 'odd.pth')
    torch.save({'state_dict': {'backbone.conv1.weight': torch.zeros(1)},
                'args': argparse.Namespace(lr=0.1)}, ckpt)
    with pytest.raises(CheckpointError, match='argparse.Namespace'):
        extract_backbone.export(ckpt, str(tmp_path / 'o.pth'))


def test_wrong_extension_and_help(pretrain_checkpoint, tmp_path):
    with pytest.raises(CheckpointError, match=r'\.pkl file'):
        extract_backbone.export(pretrain_checkpoint, str(tmp_path / 'a.pth'),
                                fmt='detectron2')
    proc = subprocess.run([sys.executable, TOOL, '--help'],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and '--format' in proc.stdout
