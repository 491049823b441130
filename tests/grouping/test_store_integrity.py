"""Store format 2: a checksum per record, errors naming image id and chunk,
malformed indexes, chunks of another build, and format-1 stores written by
dense_ssl before it (issue 11 item 3, backward compatibility)."""
import json
import os.path as osp
import shutil
import struct
import warnings
import zlib

import build_hierarchy  # tools/ is on sys.path (tests/conftest.py)
import cv2
import numpy as np
import pytest

from dense_ssl.grouping import HierarchyStore, decode_region_tree
from dense_ssl.grouping.store import StoreError, check_chunk

HERE = osp.dirname(osp.abspath(__file__))
FORMAT1 = osp.join(HERE, 'format1_store')


@pytest.fixture(scope='module')
def image_dir(photos, tmp_path_factory):
    root = tmp_path_factory.mktemp('imgs')
    for name in ('astronaut', 'coffee', 'chelsea'):
        img = cv2.resize(photos[name], None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA)
        cv2.imwrite(str(root / f'{name}.png'), img[..., ::-1])
    return str(root)


@pytest.fixture(scope='module')
def built(image_dir, tmp_path_factory):
    out = str(tmp_path_factory.mktemp('built') / 'store')
    assert build_hierarchy.main([image_dir, '--out', out, '--chunk-size', '2',
                                 '--long-side', '64', '--no-progress']) == 0
    return out


@pytest.fixture
def store_copy(built, tmp_path):
    out = str(tmp_path / 'copy')
    shutil.copytree(built, out)
    return out


def _flip(path, offset):
    with open(path, 'r+b') as f:
        f.seek(offset)
        b = f.read(1)
        f.seek(offset)
        f.write(bytes([b[0] ^ 0x01]))


def _record(store, image_id):
    """(chunk .bin, offset, length) of an image's record."""
    slot, off, length, _ = store._index[image_id]
    return store.chunk_file(image_id), off, length


def test_format2_index_fields(built):
    doc = json.load(open(osp.join(built, 'chunk-000000.json')))
    assert doc['format'] == 2 and doc['ids'] == ['astronaut.png', 'chelsea.png']
    data = open(osp.join(built, 'chunk-000000.bin'), 'rb').read()
    assert doc['bin_size'] == len(data) == sum(doc['lengths'])
    assert doc['crc32'] == [zlib.crc32(data[o:o + n])
                            for o, n in zip(doc['offsets'], doc['lengths'])]
    assert len(doc['fingerprints']) == 2 and len(doc['build']) == 16
    with warnings.catch_warnings():
        warnings.simplefilter('error')  # a format-2 store opens without a warning
        assert HierarchyStore(built).checked


@pytest.mark.parametrize('where', ['height', 'labels'])
def test_flipped_byte_names_image_and_chunk(store_copy, where):
    store = HierarchyStore(store_copy)
    path, off, length = _record(store, 'chelsea.png')
    r = store.get_tree('chelsea.png').num_regions
    # header 9 B, merges 2(R-1) B, heights 2(R-1) B, then the LZMA labels;
    # before: a flipped height trained silently, a flipped label byte was a bare LZMAError
    pos = 9 + 2 * (r - 1) + 1 if where == 'height' else length - 5
    _flip(path, off + pos)
    store = HierarchyStore(store_copy)
    with pytest.raises(StoreError) as e:
        store.get_tree('chelsea.png')
    msg = str(e.value)
    assert "'chelsea.png'" in msg and 'chunk-000000.bin' in msg and 'CRC-32' in msg
    store.get_tree('astronaut.png')  # the other record of that chunk still reads
    assert 'chelsea.png' in check_chunk(store_copy, 0)


def test_malformed_chunk_json_is_a_clear_error(store_copy):
    path = osp.join(store_copy, 'chunk-000001.json')
    text = open(path).read()
    open(path, 'w').write(text[:len(text) // 2])
    with pytest.raises(StoreError) as e:
        HierarchyStore(store_copy)
    assert path in str(e.value) and 'not valid json' in str(e.value)
    doc = json.loads(text)
    del doc['crc32']
    open(path, 'w').write(json.dumps(doc))
    with pytest.raises(StoreError, match='missing crc32'):
        HierarchyStore(store_copy)
    doc = json.loads(text)
    doc['format'] = 7
    open(path, 'w').write(json.dumps(doc))
    with pytest.raises(StoreError, match='format 7'):
        HierarchyStore(store_copy)


def test_truncated_bin_names_image_and_chunk(store_copy):
    path = osp.join(store_copy, 'chunk-000000.bin')
    data = open(path, 'rb').read()
    open(path, 'wb').write(data[:-10])
    with pytest.raises(StoreError) as e:
        HierarchyStore(store_copy).get_tree('chelsea.png')
    assert 'chunk-000000.bin is truncated' in str(e.value) and "'chelsea.png'" in str(e.value)


def test_chunk_of_another_build_is_refused(store_copy, image_dir, tmp_path):
    other = str(tmp_path / 'other')
    assert build_hierarchy.main([image_dir, '--out', other, '--chunk-size', '2',
                                 '--long-side', '64', '--max-regions', '8',
                                 '--no-progress']) == 0
    for ext in ('.bin', '.json'):
        shutil.copy(osp.join(other, 'chunk-000001' + ext), store_copy)
    with pytest.raises(StoreError) as e:
        HierarchyStore(store_copy)
    assert 'chunk-000001.json was written by another build' in str(e.value)


def _record_bytes(labels_payload=b'', r=3, merges=((0, 1), (3, 2)), heights=(0.5, 1.0)):
    return (struct.pack('<HHHHB', 4, 4, 2, 2, r) + np.array(merges, np.uint8).tobytes()
            + np.array(heights, '<f2').tobytes() + labels_payload)


def test_decoder_refuses_records_that_are_not_one_tree():
    from dense_ssl.grouping.store import encode_labels
    labels = encode_labels(np.array([[0, 1], [2, 2]], np.uint8))
    tree = decode_region_tree(_record_bytes(labels))
    assert tree.num_regions == 3
    np.testing.assert_array_equal(tree.distance_matrix(),
                                  [[0, .5, 1], [.5, 0, 1], [1, 1, 0]])
    for bad, why in [(dict(merges=((0, 1), (4, 2))), 'one tree'),  # node 4 does not exist yet
                     (dict(merges=((0, 1), (0, 2))), 'one tree'),  # leaf 0 merged twice
                     (dict(heights=(0.5, float('nan'))), 'not finite')]:
        with pytest.raises(ValueError, match=why):
            decode_region_tree(_record_bytes(labels, **bad))
    big = encode_labels(np.array([[0, 1], [2, 5]], np.uint8))
    with pytest.raises(ValueError, match='label 5 >= 3'):
        decode_region_tree(_record_bytes(big))


def test_format1_store_of_main_still_opens_with_a_warning():
    with pytest.warns(UserWarning, match='old store format 1'):
        store = HierarchyStore(FORMAT1)
    assert not store.checked and store.ids() == ['chelsea.png', 'coffee.png']
    expected = np.load(osp.join(FORMAT1, 'expected_trees.npz'))
    for image_id in store.ids():
        k = image_id[:-4]
        tree = store.get_tree(image_id)
        np.testing.assert_array_equal(tree.labels, expected[k + '_labels'])
        np.testing.assert_array_equal(tree.merges, expected[k + '_merges'])
        np.testing.assert_array_equal(tree.merge_heights, expected[k + '_heights'])
        assert (tree.height, tree.width) == tuple(expected[k + '_hw']) == (64, 96)
        assert store.fingerprint(image_id) is None


def test_format1_record_corruption_still_names_image_and_chunk(tmp_path):
    out = str(tmp_path / 'f1')
    shutil.copytree(FORMAT1, out)
    path = osp.join(out, 'chunk-000001.bin')
    data = bytearray(open(path, 'rb').read())
    data[-6:] = b'\xff' * 6  # no checksum here: the decoder must catch it
    open(path, 'wb').write(bytes(data))
    with pytest.warns(UserWarning):
        store = HierarchyStore(out)
    with pytest.raises(StoreError) as e:
        store.get_tree('coffee.png')
    assert "'coffee.png'" in str(e.value) and 'chunk-000001.bin' in str(e.value)
