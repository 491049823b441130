"""tools/benchmarks/gpu_check.sh on the CPU: it fails naming the step when the
device is missing, and `--device cpu --dry-run` runs every step end to end."""
import os
import os.path as osp
import subprocess
import sys

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
SCRIPT = osp.join(ROOT, 'tools', 'benchmarks', 'gpu_check.sh')
VENV = osp.dirname(osp.dirname(sys.executable))


def run(tmp_path, *args, timeout=900):
    env = dict(os.environ, VENV=VENV)
    proc = subprocess.run(['bash', SCRIPT, '--out', str(tmp_path / 'gc'),
                           *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)
    return proc.returncode, proc.stdout + proc.stderr


def test_cuda_without_gpu_fails_at_the_ops_step(tmp_path):
    rc, out = run(tmp_path, '--device', 'cuda', '--skip-setup', timeout=300)
    assert rc == 10, out
    assert 'FAILED at step 2 ops' in out
    assert 'torch sees no CUDA device' in out


def test_cpu_dry_run_runs_every_step(tmp_path):
    rc, out = run(tmp_path, '--device', 'cpu', '--dry-run')
    assert rc == 0, out
    for n, name in enumerate(['setup', 'ops', 'densecl', 'hg', 'hed',
                              'prepare-photos', 'mim-densecl', 'hierarchies',
                              'mim-hg'], 1):
        assert f'step {n} {name} ok' in out, name
    table = (tmp_path / 'gc' / 'table.md').read_text().splitlines()
    names = [line.split('|')[1].strip() for line in table[2:]]
    assert names == ['MMSelfSup DenseCL fp32', 'ours DenseCL fp32',
                     'ours DenseCL fp32 channels_last',
                     'ours DenseCL AMP channels_last', 'ours HG fp32',
                     'ours HG AMP', 'HED hierarchy (long side 96)']
    # the reference row's ratio is 1 by definition
    assert table[2].split('|')[4].strip() == '1.00'
