"""Helpers of the e2e tests: `mim train` runner and --cfg-options.

A module of its own, not ``conftest``: when several test directories are
given on one pytest command line, ``import conftest`` names whichever
directory's conftest pytest loaded last.
"""
import os
import os.path as osp
import subprocess
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
BIN = osp.dirname(sys.executable)


def mmselfsup_train_script():
    import mmselfsup
    return osp.join(osp.dirname(mmselfsup.__file__), '.mim', 'tools',
                    'train.py')


def tiny_densecl_options(data_root):
    """--cfg-options that shrink a DenseCL/MoCo-v2 config to a CPU test:
    ResNet-18, batch 2, 4 images -> 2 iterations per epoch."""
    return [
        f'train_dataloader.dataset.data_root={data_root}',
        'train_dataloader.batch_size=2', 'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False',
        'model.backbone.depth=18', 'model.neck.in_channels=512',
        'model.neck.hid_channels=64', 'model.neck.out_channels=16',
        'model.feat_dim=16', 'model.queue_len=32',
        'train_cfg.max_epochs=1', 'default_hooks.logger.interval=1',
        'default_hooks.checkpoint.interval=1', 'randomness.seed=0',
    ]


def run_cmd(cmd, timeout=600, env=None):
    full_env = dict(os.environ, PYTHONUNBUFFERED='1', **(env or {}))
    proc = subprocess.run(
        cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
        env=full_env)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, f'{cmd} failed:\n{out[-6000:]}'
    return out


def mim_train(config, work_dir, options, extra=()):
    return run_cmd([osp.join(BIN, 'mim'), 'train', 'mmselfsup', config,
                    '--work-dir', str(work_dir), *extra,
                    '--cfg-options', *options])
