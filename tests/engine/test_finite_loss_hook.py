"""FiniteLossHook in a real mmengine Runner: stop, keep finite checkpoints,
skip mode (issue 11, item 1)."""
import math

import pytest
import torch
import torch.nn as nn
from mmengine.model import BaseModel
from mmengine.runner import Runner

import dense_ssl  # noqa: F401
from dense_ssl.engine.hooks import FiniteLossHook, NonFiniteLossError
from dense_ssl.engine.hooks.finite_loss_hook import non_finite_terms
from dense_ssl.registry import HOOKS


class NaNAt(BaseModel):
    """w -> w - lr * 2(w - 1); loss_b is NaN at the listed (1-based) steps."""

    def __init__(self, bad_steps=()):
        super().__init__()
        self.w = nn.Parameter(torch.zeros(1))
        self.bad_steps = set(bad_steps)
        self.step = 0

    def forward(self, inputs, data_samples=None, mode='tensor'):
        self.step += 1
        loss_a = (self.w - 1).pow(2).sum()
        loss_b = loss_a * 0
        if self.step in self.bad_steps:
            loss_b = loss_b + float('nan')
        return dict(loss_a=loss_a, loss_b=loss_b)


def _runner(tmp_path, model, max_iters, hook=None, name='x', lr=0.25):
    return Runner(
        model=model,
        work_dir=str(tmp_path),
        train_dataloader=dict(
            dataset=[torch.ones(1)] * 16,
            sampler=dict(type='DefaultSampler', shuffle=False),
            batch_size=1, num_workers=0),
        train_cfg=dict(by_epoch=False, max_iters=max_iters),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=lr)),
        default_hooks=dict(
            checkpoint=dict(type='CheckpointHook', interval=1,
                            by_epoch=False, max_keep_ckpts=2),
            finite_loss=hook or dict(type='FiniteLossHook')),
        default_scope='dense_ssl',
        experiment_name=name,
        log_level='WARNING')


def test_stops_naming_iteration_and_term_and_keeps_finite_ckpts(tmp_path):
    runner = _runner(tmp_path, NaNAt(bad_steps=[4]), max_iters=8)
    with pytest.raises(NonFiniteLossError,
                       match=r'iteration 4 .*loss_b=nan'):
        runner.train()
    ckpts = sorted(p.name for p in tmp_path.glob('iter_*.pth'))
    # max_keep_ckpts=2: iterations 2 and 3; nothing written for iteration 4
    assert ckpts == ['iter_2.pth', 'iter_3.pth']
    state = torch.load(tmp_path / 'iter_3.pth', map_location='cpu',
                       weights_only=False)['state_dict']
    # w_{t+1} = w_t + 0.5 (1 - w_t): after 3 steps 1 - 0.5^3 = 0.875
    assert state['w'].item() == pytest.approx(0.875)


def test_skip_restores_the_step_and_continues(tmp_path):
    model = NaNAt(bad_steps=[3])
    runner = _runner(tmp_path, model, max_iters=5, name='skip',
                     hook=dict(type='FiniteLossHook', action='skip'))
    runner.train()
    # NaN loss makes the SGD step write NaN; it was undone: 4 good steps
    assert model.w.item() == pytest.approx(1 - 0.5**4)


def test_skip_gives_up_after_max_skips(tmp_path):
    runner = _runner(tmp_path, NaNAt(bad_steps=range(1, 20)), max_iters=6,
                     name='give_up',
                     hook=dict(type='FiniteLossHook', action='skip',
                               max_skips=2))
    with pytest.raises(NonFiniteLossError, match='iteration 3 .*2 skipped'):
        runner.train()


def test_non_finite_weights_never_checkpointed(tmp_path):
    class InfStep(NaNAt):
        def forward(self, inputs, data_samples=None, mode='tensor'):
            out = super().forward(inputs)
            if self.step == 2:  # finite loss, gradient 3e38 + 3e38 = inf
                for _ in range(2):
                    term = (self.w * 3e38).sum()
                    out['loss_a'] = out['loss_a'] + term - term.detach()
            return out

    runner = _runner(tmp_path, InfStep(), max_iters=4, name='inf')
    with pytest.raises(NonFiniteLossError, match='weights .*iteration 2'):
        runner.train()
    assert sorted(p.name for p in tmp_path.glob('iter_*.pth')) == [
        'iter_1.pth']


def test_registered_and_defaults():
    assert HOOKS.get('FiniteLossHook') is FiniteLossHook
    assert FiniteLossHook.priority == 'ABOVE_NORMAL'  # before CheckpointHook
    with pytest.raises(ValueError, match='action'):
        FiniteLossHook(action='ignore')
    bad = non_finite_terms(dict(loss=torch.tensor(math.inf),
                                loss_x=torch.tensor(1.0),
                                acc=torch.tensor(math.nan)))
    assert list(bad) == ['loss']  # only loss terms, only non-finite ones
