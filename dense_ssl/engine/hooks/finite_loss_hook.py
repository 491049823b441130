"""Stop (or skip the step) when a loss term turns NaN / Inf.

Without it a run with a zero ``std`` or a huge learning rate trains on NaN,
exits 0 and saves NaN checkpoints, while ``max_keep_ckpts`` deletes the last
finite ones (issue 11, item 1).
"""
import math
from typing import Optional, Sequence

from mmengine.hooks import Hook

from dense_ssl.registry import HOOKS


def non_finite_terms(log_vars: Optional[dict]) -> dict:
    """The ``{name: value}`` of the logged loss terms that are not finite."""
    bad = {}
    for name, value in (log_vars or {}).items():
        if 'loss' not in name:
            continue
        try:
            value = float(value.detach() if hasattr(value, 'detach')
                          else value)
        except (TypeError, ValueError):
            continue
        if not math.isfinite(value):
            bad[name] = value
    return bad


class NonFiniteLossError(RuntimeError):
    """A loss term was NaN / Inf (raised by :class:`FiniteLossHook`)."""


@HOOKS.register_module()
class FiniteLossHook(Hook):
    """Check every loss term after each training step.

    Runs before the ``CheckpointHook`` (priority ``ABOVE_NORMAL`` vs
    ``VERY_LOW``), so the step whose loss is NaN never writes a checkpoint
    and ``max_keep_ckpts`` never deletes a finite one for it. On by default
    in ``configs/_base_/default_runtime.py``.

    Args:
        action: ``'stop'`` (default) raises :class:`NonFiniteLossError`
            naming the iteration and the term; ``'skip'`` logs a warning
            and restores the weights, optimizer and buffers of before the
            step (kept on the CPU each step: costs one copy of the state).
        max_skips: with ``'skip'``, stop anyway after this many bad steps
            in a row (a run that only produces NaN is not worth continuing).
    """

    priority = 'ABOVE_NORMAL'
    ACTIONS = ('stop', 'skip')

    def __init__(self, action: str = 'stop', max_skips: int = 10) -> None:
        if action not in self.ACTIONS:
            raise ValueError(f'FiniteLossHook: action={action!r}; choose one '
                             f'of {self.ACTIONS}')
        if max_skips < 1:
            raise ValueError(f'FiniteLossHook: max_skips={max_skips} must '
                             'be >= 1')
        self.action = action
        self.max_skips = max_skips
        self._saved = None
        self._skips_in_row = 0

    def _check_params_before_save(self, runner, when: str) -> None:
        # A finite loss with an Inf gradient can still make the weights NaN
        # in this step's update: never let such weights be checkpointed.
        for name, p in runner.model.named_parameters():
            if not bool(p.detach().isfinite().all()):
                raise NonFiniteLossError(
                    f'non-finite weights ({name}) after {when}, before the '
                    'checkpoint: not saved, the last checkpoint in work_dir '
                    'is finite. Usual cause: a too large learning rate.')

    def _ckpt_due(self, runner, by_epoch: bool) -> bool:
        from mmengine.hooks import CheckpointHook
        for hook in runner.hooks:
            if isinstance(hook, CheckpointHook) and hook.by_epoch == by_epoch:
                done = runner.epoch + 1 if by_epoch else runner.iter + 1
                last = (runner.max_epochs if by_epoch else runner.max_iters)
                return (hook.interval > 0 and done % hook.interval == 0
                        or done == last)
        return False

    def after_train_epoch(self, runner) -> None:
        if self._ckpt_due(runner, by_epoch=True):
            self._check_params_before_save(
                runner, f'epoch {runner.epoch + 1}')

    def before_train_iter(self, runner, batch_idx: int,
                          data_batch: Optional[Sequence[dict]] = None) -> None:
        if self.action == 'skip':
            self._saved = _snapshot(runner)

    def after_train_iter(self, runner, batch_idx: int,
                         data_batch: Optional[Sequence[dict]] = None,
                         outputs: Optional[dict] = None) -> None:
        bad = non_finite_terms(outputs)
        if not bad:
            self._skips_in_row = 0
            if self._ckpt_due(runner, by_epoch=False):
                self._check_params_before_save(
                    runner, f'iteration {runner.iter + 1}')
            return
        terms = ', '.join(f'{k}={v}' for k, v in bad.items())
        where = (f'iteration {runner.iter + 1} (epoch {runner.epoch + 1}): '
                 f'{terms}')
        if self.action == 'skip' and self._skips_in_row < self.max_skips:
            self._skips_in_row += 1
            _restore(runner, self._saved)
            runner.logger.warning(
                f'FiniteLossHook: non-finite loss at {where}; step skipped, '
                f'weights restored ({self._skips_in_row} in a row, at most '
                f'{self.max_skips})')
            return
        hint = ('' if self.action == 'stop' else
                f' after {self._skips_in_row} skipped steps in a row')
        raise NonFiniteLossError(
            f'non-finite loss at {where}{hint}. No checkpoint was written for '
            'this step, the last one in work_dir is finite. Usual causes: '
            'a zero model.data_preprocessor.std, a too large learning rate. '
            'To skip such steps instead: --cfg-options '
            'default_hooks.finite_loss.action=skip')


def _snapshot(runner) -> dict:
    import copy
    model = runner.model
    state = {k: v.detach().to('cpu', copy=True)
             for k, v in model.state_dict().items()}
    optim = copy.deepcopy(_to_cpu(runner.optim_wrapper.state_dict()))
    return dict(model=state, optim=optim)


def _to_cpu(obj):
    import torch
    if isinstance(obj, torch.Tensor):
        return obj.detach().to('cpu', copy=True)
    if isinstance(obj, dict):
        return {k: _to_cpu(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_to_cpu(v) for v in obj)
    return obj


def _restore(runner, saved: Optional[dict]) -> None:
    if saved is None:
        return
    runner.model.load_state_dict(saved['model'])
    runner.optim_wrapper.load_state_dict(saved['optim'])
