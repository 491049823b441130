"""Checkpoints of earlier code load strictly and give identical outputs.

tests/data/checkpoints holds tiny checkpoints (ResNet-18 with 2 base
channels) written before issue 10 by ``make_checkpoints.py``: one by
MMSelfSup 1.0.0's own ``DenseCL``, one per dense_ssl algorithm of main
(c26fbeb). Each stores a probe batch and what its model gave on it
(compared by :func:`assert_as_recorded`).
"""
import copy
import os

import pytest
import torch
from mmengine.registry import DefaultScope
from mmselfsup.structures import SelfSupDataSample

import dense_ssl  # noqa: F401
from dense_ssl.registry import MODELS

HERE = os.path.join(os.path.dirname(__file__), '..', 'data', 'checkpoints')
MAIN = ['main_DenseCLAlgorithm', 'main_MoCoV2Algorithm',
        'main_HierGroupMoCo', 'main_HierGroupDenseCL', 'main_HierGroup']


def load(name):
    ckpt = torch.load(os.path.join(HERE, name + '.pth'), weights_only=True)
    meta = ckpt['meta']
    inputs = [x.float() / 32 for x in meta['inputs_x32']]
    samples = []
    for fields in meta['samples']:
        ds = SelfSupDataSample()
        for k, v in fields.items():
            ds.set_field(v.long() if k == 'hg_labels' else v, k)
        samples.append(ds)
    return ckpt['state_dict'], meta, inputs, samples


def build(cfg):
    with DefaultScope.overwrite_default_scope('dense_ssl'):
        return MODELS.build(copy.deepcopy(cfg)).train()


def composed(cfg):
    """The same model as ``type='MomentumContrast'`` with its objectives."""
    cfg = copy.deepcopy(cfg)
    kind = cfg.pop('type')
    dense = kind in ('DenseCLAlgorithm', 'HierGroupDenseCL')
    objectives = [dict(type='GlobalContrast',
                       loss_name='loss_single' if dense else 'loss')]
    if dense:
        objectives.append(dict(type='DenseContrast',
                               match=cfg.pop('match', 'max_sim_backbone')))
        cfg['loss_lambda'] = cfg.pop('loss_lambda', 0.5)
    if kind.startswith('HierGroup'):
        objectives.append(dict(
            type='Hierarchy', neck=cfg.pop('hg_neck'),
            head=cfg.pop('hg_head', None), sampler=cfg.pop('hg_sampler'),
            weight=cfg.pop('hg_weight', 1.0)))
    return build(dict(type='MomentumContrast', objectives=objectives, **cfg))


def assert_as_recorded(got, want, what=''):
    """``torch.equal`` on a CPU whose float32 kernels round as the recording machine's;
    elsewhere (measured on an AVX2-only machine: 3e-7 of the scale)
    within 1e-5 of the tensor's scale, far below what a wrong or missing weight gives.
    Bit-identity between the preset and composed models on one machine is
    :func:`test_preset_and_composed_config_train_bit_identically`'s."""
    if torch.equal(got, want):
        return
    scale = float(want.abs().max()) or 1.0
    torch.testing.assert_close(got, want, rtol=0, atol=1e-5 * scale, msg=what)


def outputs(model, inputs, samples):
    with torch.no_grad():
        feats = model.extract_feat(inputs)
    torch.manual_seed(0)
    losses = model.loss([x.clone() for x in inputs], samples)
    return feats, losses


@pytest.mark.parametrize('name', MAIN)
@pytest.mark.parametrize('how', ['preset', 'composed'])
def test_main_checkpoint_loads_strictly_and_gives_identical_outputs(
        name, how):
    state, meta, inputs, samples = load(name)
    if how == 'composed' and meta['cfg']['type'] == 'HierGroup':
        pytest.skip('HierGroup is siamese, not a MomentumContrast')
    model = build(meta['cfg']) if how == 'preset' else composed(meta['cfg'])
    model.load_state_dict(state, strict=True)
    assert list(model.state_dict()) == list(state)  # same keys, same order
    feats, losses = outputs(model, inputs, samples)
    ref = meta['probe']
    assert len(feats) == len(ref['extract_feat'])
    for a, b in zip(feats, ref['extract_feat']):
        assert_as_recorded(a, b, 'extract_feat')
    assert list(losses) == list(ref['losses'])
    for key, value in ref['losses'].items():
        assert_as_recorded(losses[key].detach(), value, key)


def test_mmselfsup_densecl_checkpoint_loads_and_resumes_both_ways():
    state, meta, inputs, samples = load('mmselfsup1.0.0_densecl')
    assert meta['mmselfsup_version'] == '1.0.0'
    cfg = dict(meta['cfg'])
    ours_cfg = dict(
        type='DenseCLAlgorithm', backbone=cfg['backbone'],
        neck=dict(cfg['neck'], type='DenseProjectionNeck'),
        queue_len=cfg['queue_len'], feat_dim=cfg['feat_dim'],
        momentum=cfg['momentum'], loss_lambda=cfg['loss_lambda'],
        temperature=0.2)
    for model in (build(ours_cfg), composed(ours_cfg)):
        model.load_state_dict(state, strict=True)
        assert int(model.queue_ptr) == 2 and int(model.encoder_k.steps) == 1
        feats, losses = outputs(model, inputs, samples)
        # the backbone is the same code: bit-identical (on the recording CPU's kernels)
        assert_as_recorded(feats[0], meta['probe']['extract_feat'][0])
        # the loss is fused InfoNCE here, CrossEntropy there (parity: 1e-5)
        for key, value in meta['probe']['losses'].items():
            assert losses[key].item() == pytest.approx(value.item(),
                                                       rel=1e-5), key
        # and back: MMSelfSup's DenseCL resumes from our state dict
        theirs = build(cfg)
        theirs.load_state_dict(model.state_dict(), strict=True)


@pytest.mark.parametrize('name', MAIN[:4])
@pytest.mark.parametrize('match', ['max_sim_backbone', 'random'])
def test_preset_and_composed_config_train_bit_identically(name, match):
    """Old ``type=`` name vs ``MomentumContrast`` + objectives: same
    initialisation, same loss terms and same state after 2 SGD steps,
    compared with ``torch.equal``."""
    _, meta, inputs, samples = load(name)
    cfg = dict(meta['cfg'])
    if 'DenseCL' in cfg['type']:
        cfg['match'] = match
    elif match != 'max_sim_backbone':
        pytest.skip('no matching in MoCo')
    runs = []
    for make in (build, composed):
        torch.manual_seed(0)
        model = make(cfg)
        opt = torch.optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
        logs = []
        for step in range(2):
            torch.manual_seed(1 + step)
            losses = model.loss([x.clone() for x in inputs], samples)
            loss, log = model.parse_losses(losses)
            opt.zero_grad()
            loss.backward()
            opt.step()
            logs.append({k: v.detach() for k, v in losses.items()})
        runs.append((logs, model.state_dict()))
    (logs_a, sd_a), (logs_b, sd_b) = runs
    for la, lb in zip(logs_a, logs_b):
        assert list(la) == list(lb)
        assert all(torch.equal(la[k], lb[k]) for k in la)
    assert list(sd_a) == list(sd_b)
    assert all(torch.equal(sd_a[k], sd_b[k]) for k in sd_a)
