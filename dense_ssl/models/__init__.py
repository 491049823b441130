"""Registered on import of :mod:`dense_ssl`."""
from . import algorithms, losses, necks, utils  # noqa: F401
from . import heads, objectives, sampling  # noqa: F401
