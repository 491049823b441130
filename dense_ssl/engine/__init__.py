"""Registered on import of :mod:`dense_ssl`."""
