"""DenseProbeHook inside a real mmengine Runner: logged figures, and a run
with the hook is bit for bit the run without it (weights, BN statistics,
the global RNG streams afterwards)."""
import json
import random

import numpy as np
import pytest
import torch
import torch.nn as nn
from mmengine.model import BaseModel
from mmengine.runner import Runner

import dense_ssl  # noqa: F401
from dense_ssl.engine.hooks import DenseProbeHook
from dense_ssl.evaluation.probe_scenes import write_scenes
from dense_ssl.registry import HOOKS


class TinyDense(BaseModel):
    """Conv-BN-ReLU at stride 8 whose training step draws from every
    global RNG (torch noise, numpy and random scalars), so a probe that
    consumed or reseeded any of them would change the run."""

    def __init__(self):
        super().__init__()
        self.backbone = nn.Sequential(nn.Conv2d(3, 8, 8, stride=8),
                                      nn.BatchNorm2d(8), nn.ReLU())
        self.head = nn.Conv2d(8, 1, 1)

    def extract_feat(self, inputs):
        return [self.backbone(inputs[0])]

    def extract_dense(self, x):
        return self.backbone(x)

    def forward(self, *images, mode='loss'):
        # a list dataset's batch is unpacked: one (3, H, W) tensor each
        x = torch.stack(images)
        x = x + 0.1 * torch.randn_like(x)
        scale = float(np.random.rand()) + random.random()
        out = self.head(self.backbone(x))
        return dict(loss=(out - scale).pow(2).mean())


@pytest.fixture(scope='module')
def scenes(tmp_path_factory):
    root = tmp_path_factory.mktemp('scenes')
    write_scenes(str(root / 'train'), 3, seed=0, size=32, num_leaves=4)
    write_scenes(str(root / 'val'), 2, seed=1, size=32, num_leaves=4)
    return root


def _probe_hook(scenes, **kw):
    return dict(type='DenseProbeHook', interval=2,
                train_images=str(scenes / 'train' / 'images'),
                train_labels=str(scenes / 'train' / 'labels'),
                val_images=str(scenes / 'val' / 'images'),
                val_labels=str(scenes / 'val' / 'labels'), **kw)


def _run(work_dir, hooks, max_iters=5):
    g = torch.Generator().manual_seed(1)
    data = [torch.rand(3, 32, 32, generator=g) * 255 for _ in range(8)]
    torch.manual_seed(0)  # the same initial weights (the Runner seeds later)
    model = TinyDense()
    runner = Runner(
        model=model,
        work_dir=str(work_dir),
        train_dataloader=dict(
            dataset=data,
            sampler=dict(type='DefaultSampler', shuffle=True),
            batch_size=2, num_workers=0),
        train_cfg=dict(by_epoch=False, max_iters=max_iters),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.05,
                                          momentum=0.9)),
        custom_hooks=hooks,
        default_hooks=dict(logger=dict(type='LoggerHook', interval=1)),
        randomness=dict(seed=3),
        default_scope='dense_ssl',
        experiment_name=f'probe_{len(hooks)}',
        log_level='INFO')
    runner.train()
    after = (torch.rand(4), np.random.rand(3), random.random())
    return runner, after


def test_hook_is_registered_and_off_by_default():
    assert HOOKS.get('DenseProbeHook') is DenseProbeHook
    from mmengine.config import Config
    cfg = Config.fromfile('configs/_base_/default_runtime.py')
    assert 'DenseProbeHook' not in str(cfg.get('custom_hooks', []))


@pytest.mark.slow
def test_run_with_hook_equals_run_without_bit_for_bit(tmp_path, scenes,
                                                      monkeypatch):
    from dense_ssl.evaluation import probe_runner
    real = probe_runner.run_probes

    def greedy_probes(*args, **kwargs):
        # a probe that draws from every global RNG (as K-means with a
        # global seed or a randomly initialised probe head would): the
        # hook must hide that from training
        torch.rand(3), np.random.rand(), random.random()
        return real(*args, **kwargs)

    monkeypatch.setattr(probe_runner, 'run_probes', greedy_probes)
    plain, after_plain = _run(tmp_path / 'plain', [])
    probed, after_probed = _run(tmp_path / 'probed', [_probe_hook(scenes)])
    a, b = plain.model.state_dict(), probed.model.state_dict()
    assert a.keys() == b.keys()
    for k in a:  # weights and BN running statistics
        assert torch.equal(a[k], b[k]), k
    assert torch.equal(after_plain[0], after_probed[0])
    assert np.array_equal(after_plain[1], after_probed[1])
    assert after_plain[2] == after_probed[2]
    assert probed.model.training  # train flags put back

    hook = next(h for h in probed.hooks if isinstance(h, DenseProbeHook))
    assert [s for s, _ in hook.history] == [2, 4, 5]  # every 2 + the last
    for _, fig in hook.history:
        assert 0 <= fig['linear_miou'] <= 1 and 0 <= fig['nn_miou'] <= 1
    assert 0 < hook.probe_seconds

    # the figures reach the text log and the visualizer's scalars
    log = next((tmp_path / 'probed').rglob('*.log')).read_text()
    assert 'dense probe (iter 2): linear_miou' in log
    assert 'DenseProbeHook: 3 probes took' in log and '% of the run' in log
    scalars = [json.loads(line) for line in next(
        (tmp_path / 'probed').rglob('scalars.json')).read_text().splitlines()]
    probe_rows = [r for r in scalars if 'probe/linear_miou' in r]
    assert [r['step'] for r in probe_rows] == [2, 4, 5]


def test_hook_options_are_checked(scenes):
    with pytest.raises(ValueError, match='need train_images'):
        DenseProbeHook(interval=10)
    with pytest.raises(ValueError, match='unknown probes'):
        DenseProbeHook(**{k: v for k, v in _probe_hook(scenes).items()
                          if k != 'type'}, probes=('linear', 'bogus'))
    with pytest.raises(ValueError, match='grouping_images'):
        DenseProbeHook(probes=('grouping', ))
    assert DenseProbeHook(probes=()).cost_share(10.0) == 0.0
