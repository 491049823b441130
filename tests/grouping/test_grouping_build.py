"""tools/build_hierarchy.py: inputs, bad files, kill + resume, workers, shards."""
import json
import os
import os.path as osp
import subprocess
import sys

import build_hierarchy  # tools/ is on sys.path (tests/conftest.py)
import pytest
from PIL import Image

from dense_ssl.grouping import HierarchyStore

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(ROOT, 'tools', 'build_hierarchy.py')


@pytest.fixture(scope='module')
def image_dir(photos, tmp_path_factory):
    """Six photos in two folders, a truncated JPEG and a text file named .jpg."""
    root = tmp_path_factory.mktemp('images')
    os.makedirs(root / 'a')
    os.makedirs(root / 'b')
    for i, (name, image) in enumerate(sorted(photos.items())):
        sub = 'a' if i % 2 else 'b'
        Image.fromarray(image).save(root / sub / f'{name}.jpg', quality=90)
    data = (root / 'b' / 'china.jpg').read_bytes()
    (root / 'a' / 'broken.jpg').write_bytes(data[:len(data) // 3])
    (root / 'b' / 'notes.jpg').write_text('not an image')
    return str(root)


def store_files(out):
    """Every file of a store (temporary files of killed writers excluded)."""
    return {n: open(osp.join(out, n), 'rb').read() for n in sorted(os.listdir(out))
            if '.tmp' not in n}


def build(*args):
    return build_hierarchy.main([*args, '--no-progress', '--chunk-size', '2'])


@pytest.fixture(scope='module')
def reference(image_dir, tmp_path_factory):
    out = str(tmp_path_factory.mktemp('ref') / 'store')
    assert build(image_dir, '--out', out) == 0
    return out


def test_folder_build_skips_and_logs_bad_files(reference, image_dir, photos):
    store = HierarchyStore(reference)
    assert len(store) == len(photos) == 6
    assert 'a/coffee.jpg' in store and 'a/broken.jpg' not in store
    errors = open(osp.join(reference, 'errors.txt')).read().splitlines()
    assert [e.split('\t')[0] for e in errors] == [osp.join(image_dir, 'a', 'broken.jpg'),
                                                  osp.join(image_dir, 'b', 'notes.jpg')]
    assert 'truncated JPEG' in errors[0] and 'cannot be decoded' in errors[1]
    rec = store.get('a/coffee.jpg')
    assert rec.labels.shape == photos['coffee'].shape[:2] and rec.dist.shape[0] <= 40
    assert json.load(open(osp.join(reference, 'meta.json')))['config']['detector'] == 'gradient'
    # 8 inputs in chunks of 2
    assert sorted(n for n in os.listdir(reference) if n.endswith('.json')) == [
        'chunk-000000.json', 'chunk-000001.json', 'chunk-000002.json', 'chunk-000003.json',
        'meta.json']


@pytest.mark.slow
def test_killed_build_resumes_to_the_same_store(reference, image_dir, tmp_path):
    out = str(tmp_path / 'store')
    env = dict(os.environ, DENSE_SSL_BUILD_KILL_AFTER_CHUNKS='1')
    proc = subprocess.run([sys.executable, TOOL, image_dir, '--out', out, '--chunk-size', '2',
                           '--no-progress'], env=env, capture_output=True, text=True)
    assert proc.returncode == -9, proc.stderr  # SIGKILL right after the first chunk
    assert sorted(n for n in os.listdir(out) if n.startswith('chunk')) == [
        'chunk-000000.bin', 'chunk-000000.json']
    # A writer killed mid-chunk leaves a temporary file behind: it must not matter.
    with open(osp.join(out, 'chunk-000001.bin.tmp999'), 'wb') as f:
        f.write(b'half a chunk')
    assert build(image_dir, '--out', out) == 0
    assert store_files(out) == store_files(reference)


def test_two_workers_and_two_shards_give_the_same_store(reference, image_dir, tmp_path, capsys):
    out = str(tmp_path / 'workers')
    assert build(image_dir, '--out', out, '--workers', '2') == 0
    assert store_files(out) == store_files(reference)
    out = str(tmp_path / 'shards')
    assert build(image_dir, '--out', out, '--shard', '1/2') == 0
    assert 'not in' in capsys.readouterr().out  # chunks of shard 0 still missing
    assert sorted(n for n in os.listdir(out) if n.startswith('chunk') and n.endswith('json')) == [
        'chunk-000001.json', 'chunk-000003.json']
    assert build(image_dir, '--out', out, '--shard', '0/2') == 0
    assert 'store complete' in capsys.readouterr().out
    assert store_files(out) == store_files(reference)


def test_other_settings_do_not_mix_into_a_store(reference, image_dir, capsys):
    assert build(image_dir, '--out', reference, '--max-regions', '20') == 2
    assert 'max_regions' in capsys.readouterr().err  # names the setting that differs
    assert len(HierarchyStore(reference)) == 6


def test_coco_json_and_voc_list_inputs(image_dir, tmp_path):
    coco = tmp_path / 'coco.json'
    coco.write_text(json.dumps(dict(images=[dict(id=9, file_name='a/coffee.jpg'),
                                            dict(id=3, file_name='b/astronaut.jpg')])))
    assert build('--coco-json', str(coco), '--img-root', image_dir, '--out',
                 str(tmp_path / 'coco')) == 0
    assert HierarchyStore(str(tmp_path / 'coco')).ids() == ['a/coffee.jpg', 'b/astronaut.jpg']
    voc = tmp_path / 'train.txt'
    voc.write_text('coffee\nrocket\n')
    assert build('--voc-list', str(voc), '--img-root', osp.join(image_dir, 'a'), '--out',
                 str(tmp_path / 'voc')) == 0
    assert HierarchyStore(str(tmp_path / 'voc')).ids() == ['coffee.jpg', 'rocket.jpg']


def test_cli_help_and_sed_without_model(image_dir, tmp_path, capsys):
    proc = subprocess.run([sys.executable, TOOL, '--help'], capture_output=True, text=True)
    assert proc.returncode == 0 and '--shard' in proc.stdout and '--detector' in proc.stdout
    assert build(image_dir, '--out', str(tmp_path / 's'), '--detector', 'sed') == 2
    assert 'model.yml.gz' in capsys.readouterr().err
    with pytest.raises(SystemExit):
        build_hierarchy.main(['--out', str(tmp_path / 'x')])  # no input given
