"""``extract_backbone.py --format safetensors``: no pickle in the file, and
strict loading into torchvision's and timm's ResNet-50 (issue 12, item 5)."""
import json
import struct

import pytest
import torch
import torchvision

import extract_backbone
from checkpoint_io import CheckpointError

safetensors_torch = pytest.importorskip('safetensors.torch')
timm = pytest.importorskip('timm')


@pytest.fixture(scope='module')
def r50_checkpoint(tmp_path_factory):
    """A Runner-style checkpoint of an MMSelfSup ResNet-50 whose weights and
    BN statistics are all random (so every copied value is checked), plus
    neck and queue tensors the export must drop."""
    from mmselfsup.models.backbones import ResNet
    torch.manual_seed(0)
    net = ResNet(depth=50)
    with torch.no_grad():
        for name, t in net.state_dict().items():
            if t.is_floating_point():
                # positive variances, otherwise any values
                t.copy_(torch.rand_like(t) + 0.5 if 'running_var' in name
                        else torch.randn_like(t) * 0.05)
    net.eval()
    state = {'backbone.' + k: v for k, v in net.state_dict().items()}
    state['neck.mlp.0.weight'] = torch.zeros(4, 2048)
    state['queue'] = torch.zeros(128, 16)
    path = str(tmp_path_factory.mktemp('st') / 'iter_2.pth')
    torch.save({'state_dict': state, 'meta': {'iter': 2}}, path)
    return path, net


@pytest.fixture(scope='module')
def exported_st(r50_checkpoint, tmp_path_factory):
    path, _ = r50_checkpoint
    out = str(tmp_path_factory.mktemp('st_out') / 'backbone.safetensors')
    assert extract_backbone.main([path, out, '--format', 'safetensors']) == 0
    return out


def test_file_is_a_safetensors_header_and_raw_bytes(exported_st):
    # layout: 8-byte little-endian header length, a JSON header, raw bytes
    with open(exported_st, 'rb') as f:
        (n, ) = struct.unpack('<Q', f.read(8))
        header = json.loads(f.read(n))
    # 318 backbone tensors + fc.weight + fc.bias; __metadata__ besides
    assert len([k for k in header if k != '__metadata__']) == 320
    assert header['__metadata__'] == dict(
        source='iter_2.pth', arch='ResNet-50', format='safetensors',
        author='dense_ssl')
    assert header['fc.weight']['shape'] == [1000, 2048]
    conv1 = header['conv1.weight']
    assert conv1['dtype'] == 'F32' and conv1['shape'] == [64, 3, 7, 7]
    begin, end = conv1['data_offsets']
    assert end - begin == 64 * 3 * 7 * 7 * 4  # float32 bytes, nothing else
    assert 'neck.mlp.0.weight' not in header and 'queue' not in header


@pytest.mark.parametrize('make', [
    lambda: torchvision.models.resnet50(),
    lambda: timm.create_model('resnet50', pretrained=False),
], ids=['torchvision', 'timm'])
def test_strict_load_and_same_features(make, exported_st, r50_checkpoint):
    _, net = r50_checkpoint
    model = make()
    model.load_state_dict(safetensors_torch.load_file(exported_st),
                          strict=True)
    model.eval()
    own = net.state_dict()
    got = model.state_dict()
    for k, v in own.items():
        assert torch.equal(got[k], v), k
    assert not got['fc.weight'].any() and not got['fc.bias'].any()
    # the weights mean the same there: the pooled layer4 features equal
    # those of the MMSelfSup ResNet they came from; fc gives 0 logits
    x = torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        ref = net(x)[-1].mean((2, 3))
        logits = model(x)
        model.fc = torch.nn.Identity()
        feats = model(x)
    assert torch.allclose(feats, ref, atol=1e-5)
    assert torch.equal(logits, torch.zeros(2, 1000))


def test_num_classes_and_extension(r50_checkpoint, tmp_path):
    path, _ = r50_checkpoint
    out = str(tmp_path / 'bb10.safetensors')
    assert extract_backbone.export(path, out, 'safetensors',
                                   num_classes=10)['written'] == 320
    model = timm.create_model('resnet50', pretrained=False, num_classes=10)
    model.load_state_dict(safetensors_torch.load_file(out), strict=True)
    with pytest.raises(CheckpointError, match=r'\.safetensors file'):
        extract_backbone.export(path, str(tmp_path / 'x.pth'), 'safetensors')
