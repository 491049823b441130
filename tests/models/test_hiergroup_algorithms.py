"""HierGroup, HierGroupMoCo and HierGroupDenseCL on a fabricated batch."""
import pytest
import torch
from mmengine.registry import DefaultScope

from dense_ssl.registry import MODELS

R18 = dict(type='ResNet', depth=18, out_indices=(3, 4))
HG_NECK = dict(type='HypercolumnNeck', in_channels=(256, 512))
SMALL = dict(in_channels=512, hid_channels=32, out_channels=16)
CONFIGS = {
    'HierGroup':
    dict(type='HierGroup', backbone=R18, neck=HG_NECK, symmetric=True),
    'HierGroupMoCo':
    dict(type='HierGroupMoCo', backbone=R18,
         neck=dict(type='MoCoV2Neck', **SMALL), hg_neck=HG_NECK,
         hg_weight=0.5, queue_len=8, feat_dim=16),
    'HierGroupDenseCL':
    dict(type='HierGroupDenseCL', backbone=R18,
         neck=dict(type='DenseProjectionNeck', **SMALL), hg_neck=HG_NECK,
         queue_len=8, feat_dim=16),
}
TERMS = {
    'HierGroup': {'loss_hg', 'hg_aug_valid'},
    'HierGroupMoCo': {'loss', 'loss_hg', 'hg_aug_valid'},
    'HierGroupDenseCL': {'loss_single', 'loss_dense', 'loss_hg',
                         'hg_aug_valid'},
}


def build(name):
    with DefaultScope.overwrite_default_scope('dense_ssl'):
        return MODELS.build(CONFIGS[name])


@pytest.mark.parametrize('name', sorted(CONFIGS))
def test_loss_terms_and_gradients(name, hg_batch):
    torch.manual_seed(0)
    model = build(name)
    inputs, samples = hg_batch
    losses = model.loss(inputs, samples)
    assert set(losses) == TERMS[name]
    assert all(torch.isfinite(v) for v in losses.values())
    assert 0 < losses['hg_aug_valid'] <= 1
    # eq. 1 ratios are in (0, 1): the 'ratio' loss is in (0, 1) too.
    weight = 0.5 if name == 'HierGroupMoCo' else 1.0
    assert 0 < losses['loss_hg'].item() < weight
    total = sum(v for k, v in losses.items() if 'loss' in k)
    total.backward()
    hg_neck = model.neck if name == 'HierGroup' else model.hg_neck
    for module in (model.backbone.conv1, model.backbone.layer3,
                   model.backbone.layer4, hg_neck.lateral[0], hg_neck.embed):
        grads = [p.grad for p in module.parameters()]
        assert all(g is not None and torch.isfinite(g).all() for g in grads)
        assert any(g.abs().sum() > 0 for g in grads)


@pytest.mark.parametrize('name', ['HierGroupMoCo', 'HierGroupDenseCL'])
def test_momentum_hypercolumn_follows_query(name, hg_batch):
    model = build(name)
    inputs, samples = hg_batch
    model.loss(inputs, samples)  # first update copies the query weights
    q = model.hg_neck.embed.weight
    k = model.hg_neck_k.module.embed.weight
    assert torch.equal(q, k) and not k.requires_grad
    with torch.no_grad():
        q.add_(1.0)
    model.loss(inputs, samples)  # k <- 0.999 k + 0.001 q
    assert torch.allclose(k, q - 0.999, atol=1e-5)
    keys = model.state_dict().keys()
    assert {'queue', 'queue_ptr', 'hg_neck.embed.weight',
            'hg_neck_k.module.embed.weight'} <= set(keys)


def test_hg_loss_needs_targets(hg_batch):
    model = build('HierGroup')
    inputs, _ = hg_batch
    with pytest.raises(ValueError, match='HG data pipeline|data_samples'):
        model.loss(inputs, [type(s)() for s in hg_batch[1]])
