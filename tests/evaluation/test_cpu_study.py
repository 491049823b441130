"""The CPU study: its table maths, and ``--quick`` end to end (CI).

``--quick`` runs every step (scenes, region trees, six pre-trainings of two
iterations through MMSelfSup's train.py, every probe, the table and plot)
on tiny data. Only that each figure exists and is finite is asserted, never
an ordering.
"""
import json
import math
import os
import subprocess
import sys

import pytest

from dense_ssl.evaluation import cpu_study as study

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))
TOOL = os.path.join(ROOT, 'tools', 'benchmarks', 'cpu_study.py')
FIGURES = ('linear_miou', 'nn_miou', 'corr_share', 'covering_ods', 'pri_ods',
           'voi_ods', 'bdry_ods_f')


def test_summary_is_mean_and_half_range_over_seeds():
    recs = [dict(method='MoCo-v2', seed=0, linear_miou=0.2, nn_miou=0.1),
            dict(method='MoCo-v2', seed=1, linear_miou=0.3, nn_miou=0.1),
            dict(method='HG', seed=0, linear_miou=0.25)]
    rows = study.summarize(recs)
    assert [r['method'] for r in rows] == ['MoCo-v2', 'HG']  # study order
    assert rows[0]['linear_miou'] == pytest.approx((0.25, 0.05))
    assert rows[0]['nn_miou'] == pytest.approx((0.1, 0.0))
    assert math.isnan(rows[1]['linear_miou'][1])  # one seed: no spread
    table = study.markdown_table(rows)
    assert '| MoCo-v2 | 2 | 0.250 ± 0.050 | 0.100 ± 0.000 |' in table
    assert '| HG | 1 | 0.250 | - |' in table


def test_jobs_run_every_method_of_a_seed_first():
    jobs = study.jobs(study.FULL)
    assert len(jobs) == 2 * len(study.METHODS)
    assert [s for _, s in jobs[:len(study.METHODS)]] == [0] * len(
        study.METHODS)


@pytest.mark.slow
def test_quick_study_end_to_end_and_resume(bsds, tmp_path):
    out, cache = tmp_path / 'out', tmp_path / 'cache'
    cmd = [sys.executable, TOOL, '--quick', '--out', str(out), '--bsds',
           bsds, '--cache', str(cache)]
    env = dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS='1')
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=1500)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    recs = study.read_records(str(out))
    assert sorted((r['method'], r['seed']) for r in recs) == sorted(
        study.jobs(study.QUICK))
    for rec in recs:
        for key in FIGURES:
            assert math.isfinite(rec[key]), (rec['method'], key)
        # every step within 3 minutes on 2 cores
        assert rec['train_s'] <= 180 and rec['eval_s'] <= 180, rec['method']
        if rec['method'] not in study.UNTRAINED:
            assert rec['iters'] == study.QUICK['iters'] and rec['losses']
    assert os.path.getsize(out / 'table.png') > 1000
    assert '| HG+DenseCL | 1 |' in (out / 'table.md').read_text()
    lines = (out / 'results.jsonl').read_text().splitlines()
    assert len(lines) == len(recs)
    assert json.loads(lines[0])['method'] == 'Lab+position'

    # resumable: a second invocation trains and evaluates nothing
    again = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True,
                           text=True, timeout=600)
    assert again.returncode == 0, again.stderr[-3000:]
    assert 'training ' not in again.stdout
    assert (out / 'results.jsonl').read_text().splitlines() == lines


def test_plots_of_table_and_loss_curves(tmp_path):
    recs = [dict(method='DenseCL', seed=s, linear_miou=0.1 + s, nn_miou=0.2,
                 losses=[dict(iter=i, loss=4 - i, loss_dense=2 - i / 2)
                         for i in (1, 2, 3)]) for s in (0, 1)]
    recs.append(dict(method='random init', seed=0, linear_miou=0.1,
                     losses=[]))
    study.plot_table(study.summarize(recs), str(tmp_path / 't.png'))
    assert study.plot_losses(recs, str(tmp_path / 'l.png'))
    assert os.path.getsize(tmp_path / 't.png') > 1000
    assert os.path.getsize(tmp_path / 'l.png') > 1000
    assert not study.plot_losses(recs[2:], str(tmp_path / 'none.png'))
