"""Kept for scripts that import it: the loader lives in the library.

See :mod:`dense_ssl.checkpoint_safety` (``safe_load``, ``state_dict_of``,
``check_globals``, ``CheckpointError``).
"""
from dense_ssl.checkpoint_safety import (CheckpointError,  # noqa: F401
                                         check_globals, safe_load,
                                         state_dict_of)
