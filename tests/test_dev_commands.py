"""The developer commands of docs/development.md: `make test` (CI) lints and
then runs every test, `make test-fast` leaves the `slow` ones out."""
import os.path as osp
import shutil
import subprocess

import pytest

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def make_dry_run(target):
    # -n: print the recipe only; -o setup: treat the venv as built
    proc = subprocess.run(['make', '-n', '-o', 'setup', target], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.splitlines()


pytestmark = pytest.mark.skipif(shutil.which('make') is None,
                                reason='make is not installed')


def test_make_test_lints_first_then_runs_every_test():
    lines = make_dry_run('test')
    assert len(lines) == 2, lines
    assert lines[0].endswith('-m ruff check .')
    assert lines[1].endswith('-m pytest tests -q -p no:cacheprovider')


def test_make_test_fast_leaves_out_the_slow_marker():
    lines = make_dry_run('test-fast')
    assert lines == [lines[0]] and lines[0].endswith(
        '-m pytest tests -q -p no:cacheprovider -m "not slow"'), lines


def test_ci_runs_the_readme_test_command():
    with open(osp.join(ROOT, '.ci', 'run')) as f:
        commands = [ln.strip() for ln in f
                    if ln.strip() and not ln.lstrip().startswith('#')]
    assert commands[-1] == 'make test'


def test_slow_marker_is_registered(pytestconfig):
    assert any(m.startswith('slow:') for m in pytestconfig.getini('markers'))
