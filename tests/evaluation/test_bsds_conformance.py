"""The official outputs test_1 .. test_5 of ``test_benchs.m``, reproduced within 0.005.

Same inputs and ``nthresh`` as ``test_benchs.m``: 1 = all benchmarks on ``ucm2``
(nthresh 5), 2 = boundaries of the ``png`` soft maps (5), 3 = boundaries of ``segs``,
4 = all benchmarks on ``segs``, 5 = regions of ``segs``. Every number of every file
is compared (the per-image indices and thresholds included).
"""
import os.path as osp

import numpy as np
import pytest

from dense_ssl.evaluation.bsds_run import evaluate_folder

TOL = 0.005
CASES = {  # test_N: (input folder, nthresh, files written by the official run)
    'test_1': ('ucm2', 5, 'all'),
    'test_2': ('png', 5, 'bdry'),
    'test_3': ('segs', 99, 'bdry'),
    'test_4': ('segs', 5, 'all'),
    'test_5': ('segs', 5, 'reg'),
}
BDRY = ('eval_bdry.txt', 'eval_bdry_img.txt', 'eval_bdry_thr.txt')
REG = ('eval_cover.txt', 'eval_cover_img.txt', 'eval_cover_th.txt', 'eval_RI_VOI.txt',
       'eval_RI_VOI_thr.txt')


@pytest.fixture(scope='module')
def ours(reference_data, tmp_path_factory):
    """Our files for the three inputs (segs serves tests 3, 4 and 5: its boundary and
    region results do not depend on nthresh)."""
    out = {}
    for kind in ('ucm2', 'png', 'segs'):
        d = str(tmp_path_factory.mktemp(kind))
        evaluate_folder(osp.join(reference_data, 'groundTruth'), d,
                        result_dir=osp.join(reference_data, kind), nthresh=5, workers=2,
                        progress=False)
        out[kind] = d
    return out


@pytest.mark.parametrize('case', sorted(CASES))
def test_official_outputs_reproduced(case, ours, reference_data):
    kind, _, which = CASES[case]
    names = {'all': BDRY + REG, 'bdry': BDRY, 'reg': REG}[which]
    official = osp.join(reference_data, case)
    for name in names:
        want = np.loadtxt(osp.join(official, name), ndmin=2)
        got = np.loadtxt(osp.join(ours[kind], name), ndmin=2)
        assert got.shape == want.shape, f'{case}/{name}: {got.shape} vs {want.shape}'
        err = np.abs(got - want)
        worst = np.unravel_index(np.argmax(err), err.shape)
        assert err.max() <= TOL, (f'{case}/{name}: entry {worst} is {got[worst]}, official '
                                  f'{want[worst]} (|diff| {err.max():.4f} > {TOL})')
