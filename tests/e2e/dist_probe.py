"""Test-only hook: every rank saves its queues after training."""
import os.path as osp

import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from dense_ssl.registry import HOOKS


@HOOKS.register_module()
class TestQueueDumpHook(Hook):

    def after_train(self, runner):
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        state = {k: v.clone() for k, v in model.state_dict().items()
                 if k.startswith('queue')}
        torch.save(state, osp.join(runner.work_dir,
                                   f'queues_rank{get_rank()}.pt'))
