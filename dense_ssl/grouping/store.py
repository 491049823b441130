"""On-disk store of region trees, readable by id from many dataloader workers.

Layout of a store directory (written by ``tools/build_hierarchy.py``)::

    meta.json               settings of the build (detector, K, long side, ...)
    chunk-000000.bin        records of images 0 .. C-1, back to back
    chunk-000000.json       their ids, byte offsets and lengths, and skipped images
    chunk-000001.bin ...
    errors.txt              every skipped image: path <TAB> reason

A chunk is complete once its ``.json`` exists (both files are written to a
temporary name and renamed), so a killed build leaves no half chunk behind.
Chunks written on several machines (``--shard i/n``) can be copied into one
directory: their numbers are global.

A record (format 1, little endian) is ``height, width, h, w`` (uint16 each: the
original and the stored label size) and ``R`` (uint8), the ``R-1`` merges (two
uint8 child ids each), their float16 heights, then the ``h x w`` uint8 label map
run-length coded in raster order (run values, then the low and the high bytes of
the run lengths, runs capped at 65535) and compressed with raw LZMA2: about
2-2.5 KB for 40 regions at long side 320, encoded in under 1 ms. (LZMA on the raw
map was 10% larger and 15x slower to encode.)
"""
import json
import lzma
import os
import os.path as osp
import struct
from typing import Dict, Iterator, List, Tuple

import numpy as np

from .hierarchy import Hierarchy, RegionTree

FORMAT_VERSION = 1
_HEADER = struct.Struct('<HHHHB')
# lc=lp=pb=0: run bytes have no useful literal context; the dictionary only needs
# to span one record. These must match between writer and reader.
_LZMA_FILTERS = [dict(id=lzma.FILTER_LZMA2, preset=6, dict_size=1 << 17, lc=0, lp=0, pb=0)]
_MAX_RUN = 65535


def encode_labels(labels: np.ndarray) -> bytes:
    """Run-length code a uint8 label map in raster order, then LZMA2 it."""
    flat = np.ascontiguousarray(labels, np.uint8).ravel()
    starts = np.concatenate([[0], np.flatnonzero(flat[1:] != flat[:-1]) + 1])
    runs = np.diff(np.append(starts, flat.size))
    parts = (runs + _MAX_RUN - 1) // _MAX_RUN  # split runs that do not fit a uint16
    values = np.repeat(flat[starts], parts)
    lengths = np.full(int(parts.sum()), _MAX_RUN, np.int64)
    lengths[np.cumsum(parts) - 1] = runs - _MAX_RUN * (parts - 1)
    payload = b''.join([values.tobytes(), (lengths & 255).astype(np.uint8).tobytes(),
                        (lengths >> 8).astype(np.uint8).tobytes()])
    return lzma.compress(payload, format=lzma.FORMAT_RAW, filters=_LZMA_FILTERS)


def decode_labels(data: bytes, h: int, w: int) -> np.ndarray:
    """Inverse of :func:`encode_labels`."""
    raw = np.frombuffer(lzma.decompress(data, format=lzma.FORMAT_RAW, filters=_LZMA_FILTERS),
                        np.uint8)
    n = len(raw) // 3
    lengths = raw[n:2 * n].astype(np.int64) | (raw[2 * n:].astype(np.int64) << 8)
    if lengths.sum() != h * w:
        raise ValueError(f'corrupt record: runs cover {lengths.sum()} pixels, not {h}x{w}')
    return np.repeat(raw[:n], lengths).reshape(h, w)


def encode_region_tree(tree: RegionTree) -> bytes:
    """Serialise a :class:`RegionTree` (see the module docstring)."""
    h, w = tree.labels.shape
    r = tree.num_regions
    for name, v in (('height', tree.height), ('width', tree.width), ('h', h), ('w', w)):
        if not 0 < v < 65536:
            raise ValueError(f'{name}={v} does not fit the record format')
    return b''.join([
        _HEADER.pack(tree.height, tree.width, h, w, r),
        np.ascontiguousarray(tree.merges, np.uint8).tobytes(),
        np.ascontiguousarray(tree.merge_heights, '<f2').tobytes(),
        encode_labels(tree.labels),
    ])


def decode_region_tree(data: bytes) -> RegionTree:
    """Inverse of :func:`encode_region_tree`."""
    height, width, h, w, r = _HEADER.unpack_from(data, 0)
    pos = _HEADER.size
    merges = np.frombuffer(data, np.uint8, 2 * (r - 1), pos).reshape(r - 1, 2)
    pos += 2 * (r - 1)
    heights = np.frombuffer(data, '<f2', r - 1, pos).astype(np.float16)
    pos += 2 * (r - 1)
    return RegionTree(labels=decode_labels(data[pos:], h, w), merges=merges.copy(),
                      merge_heights=heights, height=height, width=width)


def chunk_name(index: int) -> str:
    return f'chunk-{index:06d}'


def _atomic_write(path: str, data: bytes) -> None:
    tmp = f'{path}.tmp{os.getpid()}'
    with open(tmp, 'wb') as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def write_chunk(root: str, index: int, records: List[Tuple[str, bytes]],
                errors: List[Tuple[str, str, str]]) -> None:
    """Write one chunk: ``records`` are ``(image_id, encoded)``, ``errors`` are
    ``(image_id, path, reason)`` of images that were skipped."""
    offsets, pos = [], 0
    for _, rec in records:
        offsets.append(pos)
        pos += len(rec)
    base = osp.join(root, chunk_name(index))
    _atomic_write(base + '.bin', b''.join(rec for _, rec in records))
    index_doc = dict(format=FORMAT_VERSION, chunk=index, ids=[i for i, _ in records],
                     offsets=offsets, lengths=[len(r) for _, r in records],
                     errors=[list(e) for e in errors])
    # The .json last: its presence marks the chunk complete.
    _atomic_write(base + '.json', json.dumps(index_doc, sort_keys=True).encode())


def completed_chunks(root: str) -> List[int]:
    """Numbers of the chunks whose index file exists, sorted."""
    if not osp.isdir(root):
        return []
    return sorted(int(n[6:-5]) for n in os.listdir(root)
                  if n.startswith('chunk-') and n.endswith('.json') and n[6:-5].isdigit())


class HierarchyStore:
    """Random access to the region trees of a store directory, by image id.

    Only the small per-chunk indexes are read when opening; :meth:`get` reads one
    record with ``os.pread``, so it is safe in forked dataloader workers (no shared
    file offset) and the object pickles for spawned ones (file handles are reopened
    lazily in each process).

    Args:
        path: The store directory written by ``tools/build_hierarchy.py`` (or the
            ``meta.json`` inside it).
    """

    def __init__(self, path: str) -> None:
        if osp.isfile(path) and osp.basename(path) == 'meta.json':
            path = osp.dirname(path)
        if not osp.isdir(path):
            raise FileNotFoundError(f'hierarchy store not found: {path} '
                                    '(build it with tools/build_hierarchy.py)')
        self.root = path
        meta_path = osp.join(path, 'meta.json')
        self.meta: Dict = {}
        if osp.isfile(meta_path):
            with open(meta_path) as f:
                self.meta = json.load(f)
        self._chunks: List[int] = completed_chunks(path)
        self._index: Dict[str, Tuple[int, int, int]] = {}
        self._errors: List[Tuple[str, str, str]] = []
        for slot, chunk in enumerate(self._chunks):
            with open(osp.join(path, chunk_name(chunk) + '.json')) as f:
                doc = json.load(f)
            if doc.get('format') != FORMAT_VERSION:
                raise ValueError(f'{chunk_name(chunk)}.json has format {doc.get("format")}, '
                                 f'this code reads format {FORMAT_VERSION}')
            for image_id, off, length in zip(doc['ids'], doc['offsets'], doc['lengths']):
                if image_id in self._index:
                    raise ValueError(f'image id {image_id!r} appears twice in {path}')
                self._index[image_id] = (slot, off, length)
            self._errors.extend(tuple(e) for e in doc['errors'])
        self._fds: Dict[int, int] = {}
        self._pid = os.getpid()

    @property
    def config(self) -> Dict:
        """Build settings (detector, max_regions, long_side, min_region_frac, normalize)."""
        return dict(self.meta.get('config', {}))

    def __len__(self) -> int:
        return len(self._index)

    def __contains__(self, image_id: str) -> bool:
        return image_id in self._index

    def __iter__(self) -> Iterator[str]:
        return iter(self._index)

    def ids(self) -> List[str]:
        """Every stored image id, in build order."""
        return list(self._index)

    def errors(self) -> List[Tuple[str, str, str]]:
        """``(image_id, path, reason)`` of every image the build skipped."""
        return list(self._errors)

    def read_bytes(self, image_id: str) -> bytes:
        try:
            slot, off, length = self._index[image_id]
        except KeyError:
            raise KeyError(f'image id {image_id!r} is not in the hierarchy store {self.root}') \
                from None
        if self._pid != os.getpid():  # a new process: do not share descriptors
            self._fds, self._pid = {}, os.getpid()
        fd = self._fds.get(slot)
        if fd is None:
            fd = os.open(osp.join(self.root, chunk_name(self._chunks[slot]) + '.bin'), os.O_RDONLY)
            self._fds[slot] = fd
        data = os.pread(fd, length, off)
        if len(data) != length:
            raise IOError(f'{chunk_name(self._chunks[slot])}.bin is truncated')
        return data

    def get_tree(self, image_id: str) -> RegionTree:
        """The compact record: labels at the stored (grouping) size."""
        return decode_region_tree(self.read_bytes(image_id))

    def get(self, image_id: str) -> Hierarchy:
        """Labels at the original image size and the ``R x R`` distance matrix."""
        return self.get_tree(image_id).expand()

    def close(self) -> None:
        if self._pid == os.getpid():
            for fd in self._fds.values():
                os.close(fd)
        self._fds = {}

    def __getstate__(self) -> Dict:
        state = dict(self.__dict__)
        state['_fds'] = {}
        return state

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass
