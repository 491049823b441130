"""Paths and names shared by the transfer tests.

A module of its own, not ``conftest``: when several test directories are
given on one pytest command line, ``import conftest`` names whichever
directory's conftest pytest loaded last.
"""
import os.path as osp
import uuid

HERE = osp.dirname(osp.abspath(__file__))
ROOT = osp.dirname(osp.dirname(HERE))
BENCH = osp.join(ROOT, 'configs', 'benchmarks')


def run_name(prefix: str) -> str:
    # Runners of one process must not share an experiment name (logger,
    # visualizer and scope instances are keyed by it)
    return f'{prefix}_{uuid.uuid4().hex[:8]}'
