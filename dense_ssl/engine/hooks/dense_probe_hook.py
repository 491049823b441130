"""Dense probes of the current weights during pre-training (issue 14, sec. 2).

Off unless listed in ``custom_hooks``::

    custom_hooks = [dict(
        type='DenseProbeHook', interval=1000,
        train_images='work_dirs/scenes/train/images',
        train_labels='work_dirs/scenes/train/labels',
        val_images='work_dirs/scenes/val/images',
        val_labels='work_dirs/scenes/val/labels')]

Every ``interval`` iterations (or epochs with ``by_epoch=True``) and after
the last one, the main process runs the frozen-feature probes of
:mod:`dense_ssl.evaluation.probe_runner` on the model being trained and logs
``probe/<figure>`` through the runner's logger (text log) and visualizer
(``scalars.json``; TensorBoard when that backend is on).

Training is unchanged, bit for bit (tests/engine/test_dense_probe_hook.py):
the probes only read the weights under ``torch.no_grad()`` in eval mode (no
BatchNorm statistic moves), every module's train / eval flag is put back,
and the global RNGs (torch, CUDA, numpy, random) are saved before and
restored after, so the data order and augmentations that follow are those
of a run without the hook. Its cost is logged at the end of the run as a
share of the run's wall time.
"""
import random
import time
from typing import Dict, Optional, Sequence

import numpy as np
import torch
from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from dense_ssl.registry import HOOKS


@HOOKS.register_module()
class DenseProbeHook(Hook):
    """Linear / nearest-neighbour (and optionally grouping) probes during
    training.

    Args:
        train_images, train_labels, val_images, val_labels: folders of the
            labelled set (e.g. ``tools/make_probe_scenes.py`` output); read
            once, before the run.
        interval: probe every ``interval`` iterations (epochs when
            ``by_epoch``); the last iteration / epoch is always probed.
        by_epoch: count epochs instead of iterations.
        feature: ``'backbone'`` or ``'neck'`` (the dense embedding).
        stage: backbone output index for ``'backbone'``.
        probes: of ``'linear'``, ``'nn'``, ``'grouping'``.
        num_classes: default 1 + the largest label.
        ignore_index: unlabelled pixels' label (None: none).
        size: resize the set to size x size when its images differ.
        grouping_images, grouping_gt, grouping_limit: photos and BSDS ground
            truth for ``'grouping'``.
    """

    priority = 'LOW'  # after the optimizer / EMA / checkpoint hooks

    def __init__(self, train_images: Optional[str] = None,
                 train_labels: Optional[str] = None,
                 val_images: Optional[str] = None,
                 val_labels: Optional[str] = None, interval: int = 1000,
                 by_epoch: bool = False, feature: str = 'backbone',
                 stage: int = -1, probes: Sequence[str] = ('linear', 'nn'),
                 num_classes: Optional[int] = None,
                 ignore_index: Optional[int] = 255,
                 size: Optional[int] = None,
                 grouping_images: Optional[str] = None,
                 grouping_gt: Optional[str] = None,
                 grouping_limit: Optional[int] = None) -> None:
        from dense_ssl.evaluation.probe_runner import PROBES, check_feature
        if interval < 1:
            raise ValueError(f'interval must be >= 1, got {interval}')
        unknown = set(probes) - set(PROBES)
        if unknown:
            raise ValueError(f'unknown probes {sorted(unknown)}; choose '
                             f'among {PROBES}')
        check_feature(feature)
        self.folders = (train_images, train_labels, val_images, val_labels)
        if {'linear', 'nn'} & set(probes) and None in self.folders:
            raise ValueError('the linear / nn probes need train_images, '
                             'train_labels, val_images and val_labels')
        if 'grouping' in probes and not (grouping_images and grouping_gt):
            raise ValueError("'grouping' needs grouping_images and "
                             'grouping_gt')
        self.interval, self.by_epoch = interval, by_epoch
        self.feature, self.stage = feature, stage
        self.probes = tuple(probes)
        self.num_classes, self.ignore_index = num_classes, ignore_index
        self.size = size
        self.grouping = (grouping_images, grouping_gt, grouping_limit)
        self.train_set = self.val_set = None
        self.photos = []
        self.probe_seconds = 0.0
        self.history = []  # (step, figures) of this process's probes
        self._t_run = None

    # ------------------------------------------------------------ events
    def before_run(self, runner) -> None:
        self._t_run = time.time()
        if not is_main_process():
            return
        from dense_ssl.applications.image_io import list_images
        from dense_ssl.evaluation.probe_runner import load_labelled_folder, num_classes_of
        if {'linear', 'nn'} & set(self.probes):
            ti, tl, vi, vl = self.folders
            self.train_set = load_labelled_folder(ti, tl, self.size,
                                                  'train_images')
            self.val_set = load_labelled_folder(vi, vl, self.size,
                                                'val_images')
            if self.num_classes is None:
                self.num_classes = num_classes_of(
                    (self.train_set, self.val_set), self.ignore_index)
        if 'grouping' in self.probes:
            images, _, limit = self.grouping
            self.photos = list_images(images, 'grouping_images')[:limit]

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs=None) -> None:
        if self.by_epoch:
            return
        step = runner.iter + 1
        if step % self.interval == 0 or step == runner.max_iters:
            self.probe(runner, step)

    def after_train_epoch(self, runner) -> None:
        if not self.by_epoch:
            return
        step = runner.epoch + 1
        if step % self.interval == 0 or step == runner.max_epochs:
            self.probe(runner, step)

    def after_run(self, runner) -> None:
        if not is_main_process() or not self.history:
            return
        total = time.time() - self._t_run
        runner.logger.info(
            f'DenseProbeHook: {len(self.history)} probes took '
            f'{self.probe_seconds:.1f} s, {self.cost_share(total):.1%} of '
            f'the run ({total:.1f} s)')

    # ------------------------------------------------------------ work
    def cost_share(self, run_seconds: float) -> float:
        """The probes' share of ``run_seconds`` of wall time."""
        return self.probe_seconds / run_seconds if run_seconds > 0 else 0.

    def probe(self, runner, step: int) -> Optional[Dict[str, float]]:
        """Probe the current weights and log the figures (main process)."""
        if not is_main_process():
            return None
        from dense_ssl.evaluation.probe_runner import ModelMaps, run_probes
        model = runner.model.module if is_model_wrapper(runner.model) \
            else runner.model
        t0 = time.time()
        with _untouched(model):
            figures = run_probes(
                ModelMaps.of_model(model, self.feature, self.stage),
                self.train_set, self.val_set, self.num_classes,
                self.ignore_index, self.probes, self.photos,
                self.grouping[1])
        self.probe_seconds += time.time() - t0
        self.history.append((step, figures))
        unit = 'epoch' if self.by_epoch else 'iter'
        runner.logger.info(f'dense probe ({unit} {step}): ' + ', '.join(
            f'{k} {v:.4f}' for k, v in figures.items()))
        runner.visualizer.add_scalars(
            {f'probe/{k}': v for k, v in figures.items()}, step=step)
        return figures


class _untouched:
    """Eval mode + no grad + saved / restored global RNGs and train flags."""

    def __init__(self, model: torch.nn.Module) -> None:
        self.model = model

    def __enter__(self) -> None:
        self.flags = [(m, m.training) for m in self.model.modules()]
        self.rng = (torch.get_rng_state(), np.random.get_state(),
                    random.getstate(),
                    torch.cuda.get_rng_state_all()
                    if torch.cuda.is_available() else None)
        self.grad = torch.is_grad_enabled()
        torch.set_grad_enabled(False)
        self.model.eval()

    def __exit__(self, *exc) -> None:
        for m, flag in self.flags:
            m.training = flag
        torch.set_grad_enabled(self.grad)
        cpu, np_state, py_state, cuda = self.rng
        torch.set_rng_state(cpu)
        np.random.set_state(np_state)
        random.setstate(py_state)
        if cuda is not None:
            torch.cuda.set_rng_state_all(cuda)
