"""Where the BSDS500 data lives: ``$DENSE_SSL_SHARED/data/bsds500`` or ``<repo>/../shared``."""
import os
import os.path as osp

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def bsds_root() -> str:
    """The BSDS500 folder, or skip (a clone without the shared data still passes)."""
    shared = os.environ.get('DENSE_SSL_SHARED') or osp.join(osp.dirname(REPO), 'shared')
    root = osp.join(shared, 'data', 'bsds500')
    if not osp.isdir(osp.join(root, 'reference_benchmark', 'data')):
        pytest.skip(f'BSDS500 data not found at {root} (set DENSE_SSL_SHARED to the folder '
                    f'holding data/bsds500)')
    return root


@pytest.fixture(scope='session')
def bsds():
    return bsds_root()


@pytest.fixture(scope='session')
def reference_data(bsds):
    return osp.join(bsds, 'reference_benchmark', 'data')
