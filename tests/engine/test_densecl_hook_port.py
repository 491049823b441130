"""MMSelfSup's ``DenseCLHook(start_iters=...)`` scenario run on our hook.

The set-up follows MMSelfSup 1.0.0's own hook test (a toy model with
``loss_lambda = 0.5``, 12 samples, 2 epochs, Adam, a MultiStepLR schedule,
``start_iters=1``), with our class and MMSelfSup's argument name.
"""
import pytest
import torch
import torch.nn as nn
from mmengine.model import BaseModel
from mmengine.optim import OptimWrapper
from mmengine.runner import Runner

import dense_ssl  # noqa: F401
import dense_ssl.engine
from dense_ssl.engine import DenseLossWarmupHook


class ToyModel(BaseModel):

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2, 1)
        self.loss_lambda = 0.5
        self.seen = []

    def forward(self, inputs, data_samples=None, mode='tensor'):
        self.seen.append(self.loss_lambda)
        x = torch.stack(inputs) if isinstance(inputs, list) else inputs
        return dict(loss=(1 - self.linear(x)).sum())


def test_start_iters_as_mmselfsup_densecl_hook(tmp_path):
    torch.manual_seed(0)
    model = ToyModel()
    hook = DenseLossWarmupHook(start_iters=1)
    assert hook.warmup_iters == 1
    runner = Runner(
        model=model,
        work_dir=str(tmp_path),
        train_dataloader=dict(
            dataset=list(torch.randn(12, 2)),
            sampler=dict(type='DefaultSampler', shuffle=True),
            batch_size=1, num_workers=0),
        optim_wrapper=OptimWrapper(torch.optim.Adam(model.parameters())),
        param_scheduler=dict(type='MultiStepLR', milestones=[1]),
        train_cfg=dict(by_epoch=True, max_epochs=2),
        custom_hooks=[hook],
        default_hooks=dict(logger=None),
        log_processor=dict(window_size=1),
        default_scope='dense_ssl',
        experiment_name='test_densecl_hook_port')
    runner.train()
    # MMSelfSup's assertion: after iteration 1 the weight is the model's own.
    assert runner.iter == 24
    assert model.loss_lambda == 0.5
    # and the schedule itself: 0 for the first iteration, 0.5 afterwards.
    assert model.seen == [0.0] + [0.5] * 23


def test_both_names():
    assert DenseLossWarmupHook(warmup_iters=5, start_iters=5).warmup_iters == 5
    assert DenseLossWarmupHook().warmup_iters == 1000
    with pytest.raises(ValueError, match='start_iters=3'):
        DenseLossWarmupHook(warmup_iters=5, start_iters=3)


def test_reexported_like_mmselfsup_engine():
    from dense_ssl.engine.hooks import DenseLossWarmupHook as inner
    assert dense_ssl.engine.DenseLossWarmupHook is inner
    assert 'FiniteLossHook' in dense_ssl.engine.__all__
