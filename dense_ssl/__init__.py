"""dense_ssl: dense self-supervised pre-training as an MMSelfSup 1.x plugin.

``import dense_ssl`` (or ``custom_imports=dict(imports=['dense_ssl'])`` in a
config) applies the upstream workarounds of :mod:`dense_ssl.compat`, registers
MMSelfSup's own modules (``mim train mmselfsup`` never does) and then every
module of this plugin under the ``dense_ssl`` scope.
"""
from . import compat

compat.apply_all()

from mmselfsup.utils import register_all_modules as _register_mmselfsup  # noqa: E402

_register_mmselfsup(init_default_scope=False)

from . import datasets, engine, models  # noqa: E402,F401

__version__ = '0.1.0'
