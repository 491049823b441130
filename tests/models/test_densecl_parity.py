"""DenseCLAlgorithm / MoCoV2Algorithm against MMSelfSup's DenseCL / MoCo.

Same weights and queues, same two views of real photos: equal loss terms,
equal parameters and queues after two SGD steps (the first step copies the
key encoder, the second runs its momentum update), and state dicts that
load both ways with ``strict=True``.
"""
import copy

import pytest
import torch
from densecl_helpers import densecl_neck_cfg, resnet18_cfg
from mmselfsup.registry import MODELS as MMSELFSUP_MODELS

import dense_ssl  # noqa: F401
from dense_ssl.registry import MODELS

QUEUE_LEN = 32
HEAD = dict(type='ContrastiveHead', loss=dict(type='mmcls.CrossEntropyLoss'),
            temperature=0.2)


def build_densecl_pair(channels_last=False, **ours_kwargs):
    torch.manual_seed(0)
    theirs = MMSELFSUP_MODELS.build(dict(
        type='DenseCL', backbone=resnet18_cfg(),
        neck=densecl_neck_cfg('DenseCLNeck'), head=HEAD,
        queue_len=QUEUE_LEN, feat_dim=8, momentum=0.999, loss_lambda=0.5))
    ours = MODELS.build(dict(
        type='DenseCLAlgorithm', backbone=resnet18_cfg(),
        neck=densecl_neck_cfg('DenseProjectionNeck'), queue_len=QUEUE_LEN,
        feat_dim=8, momentum=0.999, loss_lambda=0.5, temperature=0.2,
        channels_last=channels_last, **ours_kwargs))
    ours.load_state_dict(theirs.state_dict(), strict=True)
    return ours.train(), theirs.train()


def _sgd(model):
    return torch.optim.SGD(
        [p for p in model.parameters() if p.requires_grad],
        lr=0.5, momentum=0.9, weight_decay=1e-4)


def _assert_same_state(ours, theirs, atol):
    sd_ours, sd_theirs = ours.state_dict(), theirs.state_dict()
    assert list(sd_ours) == list(sd_theirs)
    for key, value in sd_theirs.items():
        torch.testing.assert_close(
            sd_ours[key], value, rtol=atol, atol=atol, msg=key)


def _train_in_lockstep(ours, theirs, views, steps, atol):
    opt_ours, opt_theirs = _sgd(ours), _sgd(theirs)
    for _ in range(steps):
        l_ours = ours.loss([v.clone() for v in views], None)
        l_theirs = theirs.loss([v.clone() for v in views], None)
        assert set(l_ours) == set(l_theirs)
        for key in l_theirs:
            assert l_ours[key].item() == pytest.approx(
                l_theirs[key].item(), abs=atol, rel=atol), key
        for opt, losses in ((opt_ours, l_ours), (opt_theirs, l_theirs)):
            opt.zero_grad()
            sum(losses.values()).backward()
            opt.step()
    _assert_same_state(ours, theirs, atol)


def test_densecl_state_dict_keys_and_strict_loading_both_ways():
    ours, theirs = build_densecl_pair()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for key in ('queue', 'queue_ptr', 'queue2', 'queue2_ptr',
                'encoder_k.steps', 'encoder_k.module.1.mlp2.0.weight'):
        assert key in ours.state_dict()
    theirs.load_state_dict(ours.state_dict(), strict=True)


def test_densecl_losses_and_sgd_steps_equal_mmselfsup(views96):
    ours, theirs = build_densecl_pair()
    _train_in_lockstep(ours, theirs, views96, steps=2, atol=1e-5)
    assert int(ours.queue_ptr) == int(ours.queue2_ptr) == 4
    assert int(ours.encoder_k.steps) == 2


def test_densecl_channels_last_equal_mmselfsup(views96):
    # Convolution kernels differ between memory formats: looser tolerance.
    ours, theirs = build_densecl_pair(channels_last=True)
    assert ours.backbone.conv1.weight.is_contiguous(
        memory_format=torch.channels_last)
    _train_in_lockstep(ours, theirs, views96, steps=1, atol=1e-4)


def test_mocov2_equals_mmselfsup_moco(views96):
    torch.manual_seed(0)
    neck = dict(type='MoCoV2Neck', in_channels=512, hid_channels=64,
                out_channels=8, with_avg_pool=True)
    theirs = MMSELFSUP_MODELS.build(dict(
        type='MoCo', backbone=resnet18_cfg(), neck=copy.deepcopy(neck),
        head=HEAD, queue_len=QUEUE_LEN, feat_dim=8)).train()
    ours = MODELS.build(dict(
        type='MoCoV2Algorithm', backbone=resnet18_cfg(), neck=neck,
        head=HEAD, queue_len=QUEUE_LEN, feat_dim=8)).train()
    assert ours.temperature == 0.2  # read from the MMSelfSup head config
    ours.load_state_dict(theirs.state_dict(), strict=True)
    _train_in_lockstep(ours, theirs, views96, steps=2, atol=1e-5)
    assert int(ours.queue_ptr) == 4
