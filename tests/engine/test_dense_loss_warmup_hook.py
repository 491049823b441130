"""DenseLossWarmupHook inside a real mmengine Runner, including resume."""
import torch
import torch.nn as nn
from mmengine.model import BaseModel
from mmengine.runner import Runner

import dense_ssl  # noqa: F401
from dense_ssl.engine.hooks import DenseLossWarmupHook
from dense_ssl.registry import HOOKS


class LambdaRecorder(BaseModel):
    """A one-parameter model that records the loss_lambda of each step."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.zeros(1))
        self.loss_lambda = 0.7
        self.seen = []

    def forward(self, inputs, data_samples=None, mode='tensor'):
        self.seen.append(self.loss_lambda)
        return dict(loss=(self.w - 1).pow(2).sum())


def _runner(tmp_path, max_iters, resume=False):
    return Runner(
        model=LambdaRecorder(),
        work_dir=str(tmp_path),
        train_dataloader=dict(
            dataset=[torch.ones(1)] * 16,
            sampler=dict(type='DefaultSampler', shuffle=False),
            batch_size=1, num_workers=0),
        train_cfg=dict(by_epoch=False, max_iters=max_iters),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)),
        custom_hooks=[dict(type='DenseLossWarmupHook', warmup_iters=3)],
        default_hooks=dict(checkpoint=dict(
            type='CheckpointHook', interval=2, by_epoch=False)),
        default_scope='dense_ssl',
        resume=resume,
        experiment_name=f'warmup_{max_iters}_{resume}',
        log_level='WARNING')


def test_lambda_is_zero_during_warmup_then_configured(tmp_path):
    runner = _runner(tmp_path, max_iters=5)
    runner.train()
    assert runner.model.seen == [0.0, 0.0, 0.0, 0.7, 0.7]
    assert runner.model.loss_lambda == 0.7  # restored after training


def test_resume_continues_the_schedule(tmp_path):
    _runner(tmp_path, max_iters=2).train()  # saves iter_2.pth
    resumed = _runner(tmp_path, max_iters=5, resume=True)
    resumed.train()
    assert resumed.iter == 5
    assert resumed.model.seen == [0.0, 0.7, 0.7]  # iterations 2, 3, 4


def test_hook_is_registered_and_lambda_schedule():
    assert HOOKS.get('DenseLossWarmupHook') is DenseLossWarmupHook
    hook = DenseLossWarmupHook(warmup_iters=2, loss_lambda=0.5)
    assert [hook.lambda_at(i) for i in range(4)] == [0.0, 0.0, 0.5, 0.5]
