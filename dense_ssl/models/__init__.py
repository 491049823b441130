"""Registered on import of :mod:`dense_ssl`."""
from . import algorithms, heads, losses, necks, objectives, sampling, utils  # noqa: F401
