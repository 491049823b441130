"""A TensorBoard backend that every config carries, off until switched on.

mmengine's ``--cfg-options`` can change an entry of ``vis_backends`` but not
append one (list values are parsed as strings, a list index must exist), so
``configs/_base_/default_runtime.py`` lists this backend disabled and one
option turns it on::

    --cfg-options visualizer.vis_backends.1.enabled=True

Enabled, it is mmengine's :class:`TensorboardVisBackend` (event files in the
run's ``vis_data/``, next to ``scalars.json`` of the ``LocalVisBackend``, which
stays). Disabled, every call returns at once and no file or
``SummaryWriter`` is created.
"""
from mmengine.visualization import TensorboardVisBackend

from dense_ssl.registry import VISBACKENDS


@VISBACKENDS.register_module()
class OptionalTensorboardVisBackend(TensorboardVisBackend):
    """mmengine's TensorBoard backend behind an ``enabled`` switch.

    Args:
        save_dir: folder of the event files (set by the Visualizer).
        enabled: write to TensorBoard; ``False`` (default) does nothing.
    """

    def __init__(self, save_dir: str, enabled: bool = False) -> None:
        super().__init__(save_dir)
        self.enabled = bool(enabled)

    @property
    def experiment(self):
        """The ``SummaryWriter``, or None while disabled."""
        return super().experiment if self.enabled else None

    def add_config(self, config, **kwargs) -> None:
        if self.enabled:
            super().add_config(config, **kwargs)

    def add_image(self, name, image, step: int = 0, **kwargs) -> None:
        if self.enabled:
            super().add_image(name, image, step, **kwargs)

    def add_scalar(self, name, value, step: int = 0, **kwargs) -> None:
        if self.enabled:
            super().add_scalar(name, value, step, **kwargs)

    def add_scalars(self, scalar_dict, step: int = 0, file_path=None,
                    **kwargs) -> None:
        if self.enabled:
            super().add_scalars(scalar_dict, step, file_path, **kwargs)

    def close(self) -> None:
        if self.enabled and hasattr(self, '_tensorboard'):
            super().close()
