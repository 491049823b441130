"""On-disk store of region trees, readable by id from many dataloader workers.

Layout of a store directory (written by ``tools/build_hierarchy.py``; the
guarantees and errors are in ``docs/store.md``)::

    meta.json               settings of the build (detector, K, long side, ...)
    chunk-000000.bin        records of images 0 .. C-1, back to back
    chunk-000000.json       their ids, offsets, lengths, CRC-32s and image
                            fingerprints, and the skipped images
    chunk-000001.bin ...
    errors.txt              every skipped image: path <TAB> reason

A chunk is complete once its ``.json`` exists (both files are written to a
temporary name and renamed), so a killed build leaves no half chunk behind.
Chunks written on several machines (``--shard i/n``) can be copied into one
directory: their numbers are global. Each chunk index carries the ``build`` id
of the ``meta.json`` it was written under (a hash of it), so chunks of another
build are refused, not mixed in.

A record is one region tree, encoded as :mod:`.records` describes (about
2-2.5 KB for 40 regions at long side 320); chunk files are written and checked
by :mod:`.chunks`.

Store format 2 added the per-record CRC-32, the image fingerprints, the
``.bin`` size and the build id to the chunk index; records are unchanged.
Format-1 stores (dense_ssl before that) still open, with a warning that
they cannot be checked.
"""
import json
import lzma
import os
import os.path as osp
import struct
import warnings
import zlib
from typing import Dict, Iterator, List, Optional, Tuple

from .chunks import (FORMAT_VERSION, READABLE_FORMATS, StoreError, StoreWriteError,  # noqa: F401
                     _REBUILD, atomic_write, check_chunk, chunk_name, completed_chunks,
                     meta_build_id, read_chunk_index, write_chunk)
from .hierarchy import Hierarchy, RegionTree
from .records import (decode_labels, decode_region_tree, encode_labels,  # noqa: F401
                      encode_region_tree)


class HierarchyStore:
    """Random access to the region trees of a store directory, by image id.

    Only the small per-chunk indexes are read when opening; :meth:`get` reads one
    record with ``os.pread`` and checks its CRC-32, so it is safe in forked
    dataloader workers (no shared file offset) and the object pickles for
    spawned ones (file handles are reopened lazily in each process).

    Args:
        path: The store directory written by ``tools/build_hierarchy.py`` (or the
            ``meta.json`` inside it).

    Raises:
        FileNotFoundError: no such directory.
        StoreError: a malformed ``meta.json`` or chunk index, chunks of another
            build, or an image id twice; the message names the file.
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
            try:
                with open(meta_path, 'rb') as f:
                    self.meta = json.loads(f.read())
            except (json.JSONDecodeError, UnicodeDecodeError) as e:
                raise StoreError(f'{meta_path} is not valid json ({e}): delete it and '
                                 're-run tools/build_hierarchy.py with the same options '
                                 '(finished chunks are kept)') from None
        build_id = meta_build_id(self.meta) if self.meta else None
        self._chunks: List[int] = completed_chunks(path)
        # id -> (slot, offset, length, crc32 or -1 when the chunk has none)
        self._index: Dict[str, Tuple[int, int, int, int]] = {}
        self._fingerprints: Dict[str, str] = {}
        self._errors: List[Tuple[str, str, str]] = []
        old = []
        for slot, chunk in enumerate(self._chunks):
            doc = read_chunk_index(path, chunk)
            if doc['format'] < 2:
                old.append(chunk)
            elif build_id and doc.get('build') and doc['build'] != build_id:
                raise StoreError(
                    f'{osp.join(path, chunk_name(chunk))}.json was written by another build '
                    f'(build {doc["build"]}) than {meta_path} (build {build_id}): chunks of '
                    'stores with different settings or images were copied together')
            crcs = doc.get('crc32') or [-1] * len(doc['ids'])
            for image_id, off, length, crc in zip(doc['ids'], doc['offsets'],
                                                  doc['lengths'], crcs):
                if image_id in self._index:
                    raise StoreError(f'image id {image_id!r} appears twice in {path} '
                                     f'(second time in {chunk_name(chunk)}.json)')
                self._index[image_id] = (slot, off, length, crc)
            if doc.get('fingerprints'):
                self._fingerprints.update(zip(doc['ids'], doc['fingerprints']))
            self._errors.extend(tuple(e) for e in doc['errors'])
        if old:
            warnings.warn(
                f'hierarchy store {path}: {len(old)} of {len(self._chunks)} chunks have the '
                'old store format 1 (no checksums, no image fingerprints): corrupt records '
                'and images changed since the build are not detected there. Rebuild the '
                'store with tools/build_hierarchy.py (into a new --out) to get both.',
                stacklevel=2)
        self.checked = not old
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

    def fingerprint(self, image_id: str) -> Optional[str]:
        """The fingerprint of the image file the tree was built from (None in
        format-1 stores); see :func:`dense_ssl.image_io.fingerprint_bytes`."""
        return self._fingerprints.get(image_id)

    def chunk_file(self, image_id: str) -> str:
        """The ``.bin`` file holding ``image_id``'s record."""
        return osp.join(self.root, chunk_name(self._chunks[self._locate(image_id)[0]]) + '.bin')

    def _locate(self, image_id: str) -> Tuple[int, int, int, int]:
        try:
            return self._index[image_id]
        except KeyError:
            raise KeyError(f'image id {image_id!r} is not in the hierarchy store {self.root}') \
                from None

    def read_bytes(self, image_id: str) -> bytes:
        """The raw record of ``image_id``, its CRC-32 checked.

        Raises:
            KeyError: not in the store.
            StoreError: truncated or failing its checksum (names id and chunk).
        """
        slot, off, length, crc = self._locate(image_id)
        if self._pid != os.getpid():  # a new process: do not share descriptors
            self._fds, self._pid = {}, os.getpid()
        fd = self._fds.get(slot)
        name = chunk_name(self._chunks[slot]) + '.bin'
        if fd is None:
            try:
                fd = os.open(osp.join(self.root, name), os.O_RDONLY)
            except OSError as e:
                raise StoreError(f'the record of image {image_id!r} is in {self.root}/{name}, '
                                 f'which cannot be opened ({e.strerror or e})') from None
            self._fds[slot] = fd
        data = os.pread(fd, length, off)
        if len(data) != length:
            raise StoreError(f'{self.root}/{name} is truncated: the record of image '
                             f'{image_id!r} (bytes {off}..{off + length}) is cut short; '
                             + _REBUILD.format(name=name[:-4]))
        if crc >= 0 and zlib.crc32(data) != crc:
            raise StoreError(f'the record of image {image_id!r} in {self.root}/{name} '
                             f'(bytes {off}..{off + length}) fails its CRC-32 check: the '
                             f'file is corrupt; ' + _REBUILD.format(name=name[:-4]))
        return data

    def get_tree(self, image_id: str) -> RegionTree:
        """The compact record: labels at the stored (grouping) size.

        Raises:
            StoreError: a record that does not decode, naming id and chunk.
        """
        data = self.read_bytes(image_id)
        try:
            return decode_region_tree(data)
        except (lzma.LZMAError, ValueError, struct.error, IndexError) as e:
            raise StoreError(f'the record of image {image_id!r} in {self.chunk_file(image_id)} '
                             f'cannot be decoded ({type(e).__name__}: {e}); '
                             + _REBUILD.format(name=osp.basename(self.chunk_file(image_id))[:-4])
                             ) from None

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


# One open store per (process, path): dataloader workers open their own, and
# the small per-chunk indexes are read once per worker, not once per image.
_STORES: Dict[Tuple[int, str], HierarchyStore] = {}


def open_store(path: str) -> HierarchyStore:
    """The :class:`HierarchyStore` at ``path``, opened once per process."""
    key = (os.getpid(), path)
    store = _STORES.get(key)
    if store is None:
        store = _STORES[key] = HierarchyStore(path)
    return store
