"""A FULL pre-training checkpoint (Runner .pth with message hub) loads under
torch's default safe loading in a fresh process, once dense_ssl is imported:
directly, or through a benchmark config's own ``custom_imports``. No safe
globals are provided by the tests; without dense_ssl the same load fails."""
import json
import os
import os.path as osp
import subprocess
import sys

import pytest
from mmengine.config import Config

from transfer_paths import BENCH, HERE

PROBE = osp.join(HERE, 'full_ckpt_probe.py')
# ResNet-50 by hand: stem conv + 5 BN tensors; 16 bottlenecks x (3 convs +
# 3 x 5 BN tensors); 4 downsample branches x (conv + 5 BN tensors)
R50_TENSORS = 1 + 5 + 16 * (3 + 15) + 4 * (1 + 5)  # = 318
CONFIGS = [
    'mmdetection/voc0712/faster-rcnn_r50-c4_8xb2-ms-24k_voc0712.py',
    'mmdetection/coco/mask-rcnn_r50-fpn_syncbn_8xb2-ms-1x_coco.py',
    'mmsegmentation/voc12aug/fcn_r50-d8_4xb4-20k_voc12aug-512x512.py',
    'mmsegmentation/voc12aug/'
    'deeplabv3-aspp_r50-d8-frozen_4xb5-20k_voc12aug-384x384.py',
]


def probe(*args: str, pretrained: str = None) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD',
                        'TORCH_FORCE_WEIGHTS_ONLY_LOAD', 'PRETRAINED')}
    if pretrained:
        env['PRETRAINED'] = pretrained
    proc = subprocess.run([sys.executable, PROBE, *args], env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def assert_same_as_export(result: dict) -> None:
    assert 'error' not in result, result['error'][-2000:]
    assert result['count'] == R50_TENSORS
    assert not (result['missing'] or result['unexpected']
                or result['different']), result


def test_checkpoint_loader_needs_only_import_dense_ssl(pretrain_checkpoint,
                                                       exported):
    plain = probe('loader', 'PLAIN', pretrain_checkpoint, exported)
    assert 'Unsupported global' in plain['error']
    assert 'HistoryBuffer' in plain['error']
    result = probe('loader', 'DENSE_SSL', pretrain_checkpoint, exported)
    assert_same_as_export(result)
    assert result['buffers'] == ['HistoryBuffer']


@pytest.mark.parametrize('config', CONFIGS)
def test_config_imports_dense_ssl(config):
    imports = Config.fromfile(osp.join(BENCH, config)).custom_imports
    assert imports.imports[0] == 'dense_ssl'
    assert imports.allow_failed_imports is False


@pytest.mark.parametrize('pkg,config', [('mmdet', CONFIGS[0]),
                                        ('mmseg', CONFIGS[2])])
def test_config_pretrained_init_from_full_checkpoint(pkg, config,
                                                     pretrain_checkpoint,
                                                     exported):
    """What `mim train PKG CONFIG` does with PRETRAINED=<full checkpoint>:
    the config's custom_imports, the model, mmengine's PretrainedInit."""
    result = probe('config', pkg, osp.join(BENCH, config), exported,
                   pretrained=pretrain_checkpoint)
    assert 'dense_ssl' in result['imported']
    assert_same_as_export(result)


def test_safe_load_keeps_the_process_wide_allowlist(pretrain_checkpoint,
                                                    monkeypatch):
    # torch's safe_globals(...) context would remove the globals on exit,
    # also those `import dense_ssl` registered: safe_load must not use it
    import torch
    from dense_ssl.checkpoint_safety import safe_load

    import dense_ssl  # noqa: F401
    from dense_ssl.checkpoint_safety import runner_checkpoint_globals
    monkeypatch.delenv('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD', raising=False)
    registered = set(torch.serialization.get_safe_globals())
    assert set(runner_checkpoint_globals()) <= registered
    safe_load(pretrain_checkpoint)
    assert set(torch.serialization.get_safe_globals()) == registered
    ckpt = torch.load(pretrain_checkpoint, map_location='cpu')
    assert 'message_hub' in ckpt
