"""The region-tree store: exact round trips, random access from several processes."""
import multiprocessing as mp
import pickle

import numpy as np
import pytest

from dense_ssl.grouping import (
    HierarchyBuilder,
    HierarchyStore,
    decode_region_tree,
    encode_region_tree,
)
from dense_ssl.grouping.store import decode_labels, encode_labels, write_chunk


@pytest.fixture(scope='module')
def trees(photos):
    builder = HierarchyBuilder('gradient')
    return {f'{name}.jpg': builder(image) for name, image in photos.items()}


@pytest.fixture(scope='module')
def store_dir(trees, tmp_path_factory):
    root = tmp_path_factory.mktemp('store')
    items = [(k, encode_region_tree(v)) for k, v in trees.items()]
    write_chunk(str(root), 0, items[:4], [('bad.jpg', '/data/bad.jpg', 'unreadable')])
    write_chunk(str(root), 1, items[4:], [])
    # Left-overs of a killed writer must be ignored: a temp file and a chunk without index.
    (root / 'chunk-000002.bin').write_bytes(b'partial')
    (root / 'chunk-000003.json.tmp123').write_text('{')
    return str(root)


def test_record_round_trip_is_exact_and_small(trees):
    for image_id, tree in trees.items():
        data = encode_region_tree(tree)
        back = decode_region_tree(data)
        assert back.equals(tree), image_id
        np.testing.assert_array_equal(back.distance_matrix(), tree.distance_matrix())
        # header 9 B + 4 B per merge + LZMA labels; the mean is ~2.3 KB
        assert len(data) < 4000, (image_id, len(data))
    mean = np.mean([len(encode_region_tree(t)) for t in trees.values()])
    assert mean < 3000, mean


@pytest.mark.parametrize('labels', [
    np.zeros((400, 400), np.uint8),  # one run of 160000 px: split into uint16-sized runs
    np.arange(12, dtype=np.uint8).reshape(3, 4),  # every pixel its own run
    np.random.default_rng(0).integers(0, 40, (37, 53)).astype(np.uint8),
])
def test_label_run_length_coding_round_trip(labels):
    np.testing.assert_array_equal(decode_labels(encode_labels(labels), *labels.shape), labels)
    with pytest.raises(ValueError, match='corrupt'):
        decode_labels(encode_labels(labels), labels.shape[0] + 1, labels.shape[1])


def test_store_api(store_dir, trees, photos):
    store = HierarchyStore(store_dir)
    assert len(store) == len(trees) and store.ids() == list(trees)
    assert 'coffee.jpg' in store and 'missing.jpg' not in store
    assert store.errors() == [('bad.jpg', '/data/bad.jpg', 'unreadable')]
    for image_id, tree in trees.items():
        rec = store.get(image_id)
        image = photos[image_id[:-4]]
        assert rec.labels.shape == (rec.height, rec.width) == image.shape[:2]
        assert rec.labels.dtype == np.uint8 and rec.dist.dtype == np.float32
        np.testing.assert_array_equal(rec.dist, tree.distance_matrix())
        np.testing.assert_array_equal(rec.merges, tree.merges)
        assert store.get_tree(image_id).equals(tree)
    with pytest.raises(KeyError, match='missing.jpg'):
        store.get('missing.jpg')


def _read_all(store):
    return {i: store.read_bytes(i) for i in store.ids()}


def test_store_reads_from_forked_and_pickled_copies(store_dir):
    store = HierarchyStore(store_dir)
    expected = _read_all(store)  # opens descriptors in this process first
    ids = store.ids() * 3
    with mp.get_context('fork').Pool(2) as pool:
        got = pool.map(store.read_bytes, ids, chunksize=1)
    assert got == [expected[i] for i in ids]
    clone = pickle.loads(pickle.dumps(store))
    assert _read_all(clone) == expected


def test_duplicate_ids_are_refused(tmp_path, trees):
    rec = encode_region_tree(next(iter(trees.values())))
    write_chunk(str(tmp_path), 0, [('a.jpg', rec)], [])
    write_chunk(str(tmp_path), 1, [('a.jpg', rec)], [])
    with pytest.raises(ValueError, match='twice'):
        HierarchyStore(str(tmp_path))


def test_missing_store_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match='build_hierarchy.py'):
        HierarchyStore(str(tmp_path / 'nope'))
