"""Warm-up of DenseCL's dense loss weight (the authors' optional recipe)."""
from typing import Optional, Sequence

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from dense_ssl.models.utils.validation import check_loss_lambda
from dense_ssl.registry import HOOKS


def _unwrap(model):
    return model.module if is_model_wrapper(model) else model


@HOOKS.register_module()
class DenseLossWarmupHook(Hook):
    """``loss_lambda = 0`` for the first ``warmup_iters`` iterations.

    Off unless listed in ``custom_hooks``. The weight of each iteration
    depends only on ``runner.iter``, so a resumed run continues the
    schedule where it stopped. The configured weight is read from the model
    when training starts and restored when it ends.

    Args:
        warmup_iters: iterations with the dense loss switched off (1000).
        loss_lambda: weight after the warm-up; None: the model's own
            ``loss_lambda`` as configured.
        start_iters: MMSelfSup's name for ``warmup_iters`` (its
            ``DenseCLHook(start_iters=...)``), accepted so its configs port
            over unchanged; giving both with different values is an error.
    """

    priority = 'NORMAL'

    def __init__(self, warmup_iters: Optional[int] = None,
                 loss_lambda: Optional[float] = None,
                 start_iters: Optional[int] = None) -> None:
        if (warmup_iters is not None and start_iters is not None
                and warmup_iters != start_iters):
            raise ValueError(
                f'DenseLossWarmupHook: warmup_iters={warmup_iters} and '
                f'start_iters={start_iters} (MMSelfSup\'s name for the same '
                'setting) disagree; give one of them')
        if warmup_iters is None:
            warmup_iters = 1000 if start_iters is None else start_iters
        if warmup_iters < 0:
            raise ValueError(f'warmup_iters={warmup_iters} must be >= 0')
        if loss_lambda is not None:
            loss_lambda = check_loss_lambda(loss_lambda,
                                            'DenseLossWarmupHook')
        self.warmup_iters = warmup_iters
        self.loss_lambda = loss_lambda

    def before_train(self, runner) -> None:
        model = _unwrap(runner.model)
        if not hasattr(model, 'loss_lambda'):
            raise AttributeError(
                f'DenseLossWarmupHook: {type(model).__name__} has no '
                '`loss_lambda`; use it with DenseCLAlgorithm or a subclass')
        if self.loss_lambda is None:
            self.loss_lambda = float(model.loss_lambda)

    def lambda_at(self, iteration: int) -> float:
        """Dense loss weight of iteration ``iteration`` (0-based)."""
        return 0.0 if iteration < self.warmup_iters else self.loss_lambda

    def before_train_iter(self,
                          runner,
                          batch_idx: int,
                          data_batch: Optional[Sequence[dict]] = None) -> None:
        _unwrap(runner.model).loss_lambda = self.lambda_at(runner.iter)

    def after_train(self, runner) -> None:
        _unwrap(runner.model).loss_lambda = self.loss_lambda
