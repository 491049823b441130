"""Registered on import of :mod:`dense_ssl`."""
from . import hooks  # noqa: F401
