"""The builder on damaged stores, killed mid-chunk, concurrent builders, a full
disk and a folder of only bad images (issue 11 items 4, 6, 11, 12)."""
import errno
import json
import os
import os.path as osp
import shutil
import socket
import subprocess
import sys

import build_hierarchy  # tools/ is on sys.path (tests/conftest.py)
import cv2
import pytest

from dense_ssl.grouping import HierarchyStore
from dense_ssl.grouping.chunks import atomic_write, check_chunk

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(ROOT, 'tools', 'build_hierarchy.py')
ARGS = ['--chunk-size', '2', '--long-side', '64', '--no-progress']


@pytest.fixture(scope='module')
def image_dir(photos, tmp_path_factory):
    """Five small photos: chunks 0 and 1 of two images, chunk 2 of one."""
    root = tmp_path_factory.mktemp('imgs')
    for name in ('astronaut', 'chelsea', 'china', 'coffee', 'rocket'):
        img = cv2.resize(photos[name], None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA)
        cv2.imwrite(str(root / f'{name}.png'), img[..., ::-1])
    return str(root)


def build(image_dir, out, *extra):
    return build_hierarchy.main([image_dir, '--out', str(out), *ARGS, *extra])


def files(out):
    return {n: open(osp.join(out, n), 'rb').read() for n in sorted(os.listdir(out))}


@pytest.fixture(scope='module')
def reference(image_dir, tmp_path_factory):
    out = str(tmp_path_factory.mktemp('ref') / 'store')
    assert build(image_dir, out) == 0
    return out


@pytest.mark.parametrize('damage', ['delete', 'truncate', 'flip'])
def test_resume_recomputes_a_damaged_chunk(reference, image_dir, tmp_path, capsys, damage):
    out = str(tmp_path / 'store')
    shutil.copytree(reference, out)
    path = osp.join(out, 'chunk-000001.bin')
    data = open(path, 'rb').read()
    if damage == 'delete':
        os.remove(path)
    elif damage == 'truncate':
        open(path, 'wb').write(data[:-1])
    else:
        open(path, 'wb').write(data[:100] + bytes([data[100] ^ 0x10]) + data[101:])
    assert check_chunk(out, 1)  # names what is wrong
    assert build(image_dir, out) == 0
    cap = capsys.readouterr()
    # before: "store complete" with the chunk still missing / corrupt
    assert 'chunk-000001 is damaged' in cap.err and 'recomputing' in cap.err
    assert '1 chunks written, 2 already there' in cap.out
    assert files(out) == files(reference)


def test_killed_mid_chunk_resume_redoes_the_chunk(reference, image_dir, tmp_path):
    out = str(tmp_path / 'store')
    env = dict(os.environ, DENSE_SSL_BUILD_KILL_BEFORE_INDEX='2')
    proc = subprocess.Popen([sys.executable, TOOL, image_dir, '--out', out, *ARGS], env=env,
                            stderr=subprocess.PIPE, text=True)
    assert proc.wait() == -9, proc.stderr.read()  # SIGKILL between chunk 1's .bin and .json
    names = sorted(n for n in os.listdir(out) if n.startswith('chunk'))
    assert names == ['chunk-000000.bin', 'chunk-000000.json', 'chunk-000001.bin']
    # a temporary file of a killed writer on this host is removed on resume
    stale = osp.join(out, f'chunk-000002.bin.tmp.{socket.gethostname()}.{proc.pid}')
    open(stale, 'wb').write(b'half')
    assert build(image_dir, out) == 0
    assert files(out) == files(reference)


def test_two_builders_with_other_settings_one_is_refused(image_dir, tmp_path):
    out = str(tmp_path / 'store')
    procs = [subprocess.Popen([sys.executable, TOOL, image_dir, '--out', out, *ARGS,
                               '--max-regions', k], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for k in ('12', '40')]
    results = [(p.wait(), p.stderr.read()) for p in procs]
    codes = sorted(rc for rc, _ in results)
    assert codes == [0, 2], results  # before: both exited 0
    loser = [err for rc, err in results if rc == 2][0]
    assert 'max_regions' in loser and 'other settings' in loser
    meta = json.load(open(osp.join(out, 'meta.json')))
    k = meta['config']['max_regions']
    store = HierarchyStore(out)  # every chunk carries the build id of this meta.json
    assert len(store) == 5
    assert max(store.get_tree(i).num_regions for i in store.ids()) <= k


def test_meta_json_is_created_exclusively(tmp_path):
    path = str(tmp_path / 'meta.json')
    assert atomic_write(path, b'{"a": 1}', exclusive=True)
    assert not atomic_write(path, b'{"a": 2}', exclusive=True)
    assert open(path).read() == '{"a": 1}' and os.listdir(tmp_path) == ['meta.json']


def test_old_format_store_is_not_extended(image_dir, tmp_path, capsys):
    out = str(tmp_path / 'f1')
    shutil.copytree(osp.join(ROOT, 'tests', 'grouping', 'format1_store'), out)
    assert build(image_dir, out) == 2
    err = capsys.readouterr().err
    assert 'older dense_ssl (store format 1)' in err and 'new --out' in err


def _fail_fsync_on(monkeypatch, name):
    real = os.fsync

    def fsync(fd):
        if name in os.readlink(f'/proc/self/fd/{fd}'):
            raise OSError(errno.ENOSPC, 'No space left on device')
        return real(fd)

    monkeypatch.setattr(os, 'fsync', fsync)


def test_full_disk_simulated(reference, image_dir, tmp_path, capsys, monkeypatch):
    out = str(tmp_path / 'store')
    _fail_fsync_on(monkeypatch, 'chunk-000001.bin')
    assert build(image_dir, out) == 2
    err = capsys.readouterr().err
    assert f'error: [Errno 28] no space left on {out}: chunk-000001.bin not written' in err
    assert not [n for n in os.listdir(out) if '.tmp' in n]  # before: a .bin.tmp<pid> stayed
    assert sorted(os.listdir(out)) == ['chunk-000000.bin', 'chunk-000000.json', 'meta.json']
    monkeypatch.undo()
    assert build(image_dir, out) == 0  # the finished chunk is kept and resumed from
    assert files(out) == files(reference)


def test_full_disk_tmpfs(image_dir, tmp_path, capsys):
    mnt = tmp_path / 'small'
    mnt.mkdir()
    # tmpfs pages are 4 KiB: room for meta.json and 3 more files
    if subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=16k', 'tmpfs', str(mnt)],
                      capture_output=True).returncode:
        pytest.skip('cannot mount a tmpfs here (needs root); the simulated test covers it')
    try:
        out = str(mnt / 'store')
        assert build(image_dir, out) == 2
        err = capsys.readouterr().err
        assert f'no space left on {out}' in err
        assert not [n for n in os.listdir(out) if '.tmp' in n]
        for n in os.listdir(out):  # what is there is complete and checks out
            if n.startswith('chunk-') and n.endswith('.json'):
                assert check_chunk(out, int(n[6:12])) == ''
    finally:
        subprocess.run(['umount', str(mnt)], check=True)


def test_folder_of_only_bad_images_exits_non_zero(tmp_path, capsys):
    folder = tmp_path / 'bad'
    folder.mkdir()
    (folder / 'a.jpg').write_text('not an image')
    (folder / 'b.png').write_bytes(b'\x89PNG\r\n\x1a\n' + b'\0' * 20)
    out = str(tmp_path / 'store')
    for _ in range(2):  # also when re-run on the finished store
        assert build(str(folder), out) == 1  # before: exit 0, "store complete"
        cap = capsys.readouterr()
        assert 'none of the 2 images' in cap.err
        assert osp.join(out, 'errors.txt') in cap.err and 'store complete' not in cap.out
    assert len(open(osp.join(out, 'errors.txt')).read().splitlines()) == 2
