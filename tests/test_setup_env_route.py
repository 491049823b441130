"""tools/setup_env.sh --dry-run: which route (CPU or CUDA ops) it takes.

No GPU is needed: a fake ``nvidia-smi`` (DENSE_SSL_NVIDIA_SMI) and a fake CUDA
toolkit (CUDA_HOME with a ``bin/nvcc`` that prints its release) stand in for
them; DENSE_SSL_CUDA_SEARCH='' and a PATH without nvcc hide this machine's own
toolkit. A dry run changes nothing (no venv is created, nothing is built).
"""
import os
import os.path as osp
import subprocess
import sys

import pytest

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
SCRIPT = osp.join(ROOT, 'tools', 'setup_env.sh')
# the venv of these tests: torch 2.14.1 built with CUDA (torch.version.cuda)
VENV = osp.dirname(osp.dirname(sys.executable))


def fake_exe(path, text):
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write('#!/bin/sh\n' + text)
    os.chmod(path, 0o755)
    return path


@pytest.fixture
def fakes(tmp_path):
    smi = fake_exe(str(tmp_path / 'smi' / 'nvidia-smi'),
                   'echo "NVIDIA H200, 9.0"\n')

    def toolkit(release):
        home = tmp_path / f'cuda-{release}'
        fake_exe(str(home / 'bin' / 'nvcc'),
                 'echo "nvcc: NVIDIA (R) Cuda compiler driver"\n'
                 f'echo "Cuda compilation tools, release {release}, '
                 f'V{release}.88"\n')
        return str(home)
    return smi, toolkit


def dry_run(tmp_path, venv=None, **env):
    full = {k: v for k, v in os.environ.items()
            if k not in ('CUDA_HOME', 'CUDA_PATH', 'DENSE_SSL_DEVICE',
                         'TORCH_CUDA_ARCH_LIST')}
    full.update(PATH='/usr/bin:/bin', DENSE_SSL_CUDA_SEARCH='',
                DENSE_SSL_CACHE=str(tmp_path / 'cache'),
                DENSE_SSL_NVIDIA_SMI=str(tmp_path / 'no-nvidia-smi'),
                VENV=venv or str(tmp_path / 'venv'))
    full.update(env)
    proc = subprocess.run(['bash', SCRIPT, '--dry-run'], env=full, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    return proc.returncode, proc.stdout + proc.stderr


def test_no_gpu_takes_the_cpu_route(tmp_path):
    rc, out = dry_run(tmp_path)
    assert rc == 0, out
    assert '[setup] route: cpu (no GPU' in out
    cache = tmp_path / 'cache' / 'mmcv-2.0.1-torch2.14.1'
    assert f'[setup] mmcv wheel cache: {cache}\n' in out
    assert 'MMCV_WITH_OPS=1 FORCE_CUDA=0' in out
    assert 'roi_align / nms on cpu\n' in out
    assert 'no cached wheel: mmcv would be compiled' in out
    assert 'dry run: nothing changed' in out
    assert not (tmp_path / 'venv').exists()  # nothing was created


def test_gpu_and_toolkit_take_the_cuda_route(tmp_path, fakes):
    smi, toolkit = fakes
    home = toolkit('13.0')
    rc, out = dry_run(tmp_path, venv=VENV, DENSE_SSL_NVIDIA_SMI=smi,
                      CUDA_HOME=home)
    assert rc == 0, out
    assert ('[setup] route: cuda (nvidia-smi: NVIDIA H200, compute '
            'capability 9.0)') in out
    assert f'nvcc: {home}/bin/nvcc (CUDA 13.0; torch\'s CUDA 13.0), arch 9.0' \
        in out
    # a wheel cache of its own, keyed by torch, CUDA and the GPU's arch
    cache = tmp_path / 'cache' / 'mmcv-2.0.1-torch2.14.1-cuda13.0-sm90'
    assert f'[setup] mmcv wheel cache: {cache}\n' in out
    assert f'FORCE_CUDA=1 CUDA_HOME={home} TORCH_CUDA_ARCH_LIST=9.0' in out
    assert 'roi_align / nms on cpu cuda\n' in out


def test_arch_list_from_the_environment(tmp_path, fakes):
    smi, toolkit = fakes
    rc, out = dry_run(tmp_path, venv=VENV, DENSE_SSL_NVIDIA_SMI=smi,
                      CUDA_HOME=toolkit('13.0'),
                      TORCH_CUDA_ARCH_LIST='8.0;9.0')
    assert rc == 0, out
    assert 'mmcv-2.0.1-torch2.14.1-cuda13.0-sm80_90\n' in out


def test_gpu_without_nvcc_fails_clearly(tmp_path, fakes):
    smi, _ = fakes
    rc, out = dry_run(tmp_path, venv=VENV, DENSE_SSL_NVIDIA_SMI=smi)
    assert rc == 3, out
    assert 'a GPU is present but no nvcc was found' in out
    assert 'DENSE_SSL_DEVICE=cpu' in out  # says how to go on without it


def test_nvcc_of_another_cuda_major_fails(tmp_path, fakes):
    smi, toolkit = fakes
    rc, out = dry_run(tmp_path, venv=VENV, DENSE_SSL_NVIDIA_SMI=smi,
                      CUDA_HOME=toolkit('12.4'))
    assert rc == 3, out
    assert "nvcc 12.4" in out and "does not match torch's CUDA 13.0" in out


def test_forced_cpu_route_with_a_gpu(tmp_path, fakes):
    smi, toolkit = fakes
    rc, out = dry_run(tmp_path, DENSE_SSL_NVIDIA_SMI=smi,
                      CUDA_HOME=toolkit('13.0'), DENSE_SSL_DEVICE='cpu')
    assert rc == 0, out
    assert '[setup] route: cpu (DENSE_SSL_DEVICE=cpu)' in out
    assert 'FORCE_CUDA=0' in out


def test_bad_device_value_and_option(tmp_path):
    rc, out = dry_run(tmp_path, DENSE_SSL_DEVICE='tpu')
    assert rc == 3 and 'DENSE_SSL_DEVICE must be cpu, cuda or auto' in out
    proc = subprocess.run(['bash', SCRIPT, '--fast'], capture_output=True,
                          text=True, cwd=ROOT)
    assert proc.returncode == 2 and 'unknown option --fast' in proc.stderr
