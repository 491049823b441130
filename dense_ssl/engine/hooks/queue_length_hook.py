"""Warn at start-up when the negative queue is longer than the data.

A momentum-contrast queue of K keys on N < K images holds about K / N keys
of every image, so each image meets its own earlier (momentum-encoded,
other-augmentation) keys as negatives: the loss then rises for a long time
or for ever on small data (WXinlong/DenseCL issue 35, open-mmlab/mmpretrain
issue 1541). On by default in ``configs/_base_/default_runtime.py``; it only
reads the model and the dataset, never the model classes' code.

Why about N / 2: each epoch visits the images in a new random order, so the
number of keys enqueued between two visits of an image is N - p + q with p,
q uniform in [0, N]; its previous key is still in a queue of K <= N keys
with probability K^2 / (2 N^2): 1/2 at K = N, 1/8 at K = N / 2.
"""
from typing import Optional

from mmengine.dist import get_world_size, is_main_process
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from dense_ssl.registry import HOOKS


def advised_queue_len(num_images: int, global_batch: int) -> int:
    """The largest multiple of ``global_batch`` not above ``num_images / 2``
    (at least one batch: the queue length must be such a multiple)."""
    return max(global_batch, (num_images // 2) // global_batch * global_batch)


def queue_warning(queue_len: int, num_images: int,
                  global_batch: int) -> Optional[str]:
    """The warning for ``queue_len > num_images``, else None."""
    if num_images <= 0 or queue_len <= num_images:
        return None
    advice = advised_queue_len(num_images, global_batch)
    return (
        f'model.queue_len={queue_len} is longer than the {num_images} '
        f'training images: the queue holds about {queue_len / num_images:.0f}'
        ' keys of every image, so each image meets its own earlier keys as '
        'negatives and the loss can rise for a long time. Set '
        f'model.queue_len to at most {num_images}, e.g. {advice} (about half '
        f'the images, a multiple of the global batch {global_batch}), e.g. '
        f'`--cfg-options model.queue_len={advice}`; see docs/users.md, '
        '"Small datasets".')


def model_queue_len(model) -> Optional[int]:
    """The queue length of a momentum-contrast model, None if it has none.

    ``queue_len`` when the model states it, else the length of its first
    (feat_dim, K) ``queue*`` buffer.
    """
    if is_model_wrapper(model):
        model = model.module
    value = getattr(model, 'queue_len', None)
    if isinstance(value, int):
        return value
    for name, buf in model.named_buffers():
        if name.split('.')[-1].startswith('queue') and buf.dim() == 2:
            return int(buf.shape[1])
    return None


@HOOKS.register_module()
class QueueLengthCheckHook(Hook):
    """Log :func:`queue_warning` once, before the first iteration."""

    priority = 'VERY_LOW'

    def before_train(self, runner) -> None:
        queue_len = model_queue_len(runner.model)
        if queue_len is None or not is_main_process():
            return
        loader = runner.train_dataloader
        try:
            num_images = len(loader.dataset)
        except TypeError:  # an iterable dataset: length unknown
            return
        global_batch = (loader.batch_size or 1) * get_world_size()
        message = queue_warning(queue_len, num_images, global_batch)
        if message:
            runner.logger.warning(message)
