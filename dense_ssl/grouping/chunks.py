"""The chunk files of a store (:mod:`.store`): writing them atomically,
reading and checking their indexes."""
import errno
import hashlib
import json
import os
import os.path as osp
import socket
import zlib
from typing import Dict, List, Optional, Sequence, Tuple

FORMAT_VERSION = 2
READABLE_FORMATS = (1, 2)
_REBUILD = ('delete {name}.bin and {name}.json and re-run tools/build_hierarchy.py with '
            'the same options: only that chunk is recomputed')


class StoreError(ValueError):
    """A store that cannot be used as it is: corrupt, or of another build."""


class StoreWriteError(OSError):
    """A store file could not be written (full disk, ...); names the file."""


def chunk_name(index: int) -> str:
    return f'chunk-{index:06d}'


def meta_build_id(meta: Dict) -> str:
    """Short hash of a ``meta.json`` document, written into every chunk index."""
    return hashlib.sha256(json.dumps(meta, sort_keys=True).encode()).hexdigest()[:16]


def _tmp_name(path: str) -> str:
    # host and pid: shards on several machines may share one directory
    return f'{path}.tmp.{socket.gethostname()}.{os.getpid()}'


def atomic_write(path: str, data: bytes, exclusive: bool = False) -> bool:
    """Write ``data`` to a temporary name beside ``path`` and rename it there.

    A full disk or an error leaves neither a temporary file nor a partial
    ``path``. With ``exclusive``, ``path`` is created only if it does not exist
    yet (a hard link, atomic on POSIX file systems); returns False when it did.

    Raises:
        StoreWriteError: "no space left on <dir>" (ENOSPC) or another OSError,
            naming ``path``.
    """
    tmp = _tmp_name(path)
    try:
        with open(tmp, 'wb') as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if not exclusive:
            os.replace(tmp, path)
            return True
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
        except OSError as e:  # no hard links here (some network / FAT file systems)
            if e.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
                raise
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                return False
            with os.fdopen(fd, 'wb') as f:
                f.write(data)
        return True
    except OSError as e:
        if e.errno == errno.ENOSPC:
            raise StoreWriteError(
                errno.ENOSPC, f'no space left on {osp.dirname(osp.abspath(path))}: '
                f'{osp.basename(path)} not written (free space and re-run: finished '
                'chunks are kept)') from None
        raise StoreWriteError(e.errno, f'cannot write {path}: {e.strerror or e}') from None
    finally:
        if osp.lexists(tmp):
            os.unlink(tmp)


def remove_stale_temporaries(root: str) -> List[str]:
    """Delete temporary files left by killed writers of this host; returns them."""
    prefix = f'.tmp.{socket.gethostname()}.'
    removed = []
    for name in os.listdir(root) if osp.isdir(root) else []:
        head, sep, pid = name.rpartition(prefix)
        if not sep or not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
            continue  # its writer still runs
        except ProcessLookupError:
            pass
        except PermissionError:
            continue
        try:
            os.unlink(osp.join(root, name))
            removed.append(name)
        except FileNotFoundError:
            pass
    return removed


def write_chunk(root: str, index: int, records: List[Tuple[str, bytes]],
                errors: List[Tuple[str, str, str]],
                fingerprints: Optional[Sequence[str]] = None, build_id: str = '',
                before_index=None) -> None:
    """Write one chunk: ``records`` are ``(image_id, encoded)``, ``errors`` are
    ``(image_id, path, reason)`` of images that were skipped, ``fingerprints``
    (see :func:`dense_ssl.image_io.fingerprint_bytes`) those of the records'
    image files, ``build_id`` the :func:`meta_build_id` of the store's meta.
    ``before_index()`` is called between the two files (a test hook)."""
    offsets, pos = [], 0
    for _, rec in records:
        offsets.append(pos)
        pos += len(rec)
    if fingerprints is not None and len(fingerprints) != len(records):
        raise ValueError(f'{len(fingerprints)} fingerprints for {len(records)} records')
    base = osp.join(root, chunk_name(index))
    atomic_write(base + '.bin', b''.join(rec for _, rec in records))
    if before_index is not None:
        before_index()
    index_doc = dict(format=FORMAT_VERSION, chunk=index, build=build_id,
                     ids=[i for i, _ in records], offsets=offsets,
                     lengths=[len(r) for _, r in records],
                     crc32=[zlib.crc32(r) for _, r in records], bin_size=pos,
                     fingerprints=list(fingerprints) if fingerprints is not None else None,
                     errors=[list(e) for e in errors])
    # The .json last: its presence marks the chunk complete.
    atomic_write(base + '.json', json.dumps(index_doc, sort_keys=True).encode())


def completed_chunks(root: str) -> List[int]:
    """Numbers of the chunks whose index file exists, sorted."""
    if not osp.isdir(root):
        return []
    return sorted(int(n[6:-5]) for n in os.listdir(root)
                  if n.startswith('chunk-') and n.endswith('.json') and n[6:-5].isdigit())


def read_chunk_index(root: str, index: int) -> Dict:
    """The parsed ``chunk-N.json``, checked for shape.

    Raises:
        StoreError: invalid json, missing fields or an unknown format, naming the file.
    """
    name = chunk_name(index)
    path = osp.join(root, name + '.json')
    try:
        with open(path, 'rb') as f:
            doc = json.loads(f.read())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise StoreError(f'{path} is not valid json ({e}): a truncated or edited chunk '
                         f'index; {_REBUILD.format(name=name)}') from None
    if not isinstance(doc, dict):
        raise StoreError(f'{path} is not a chunk index (a json object); '
                         f'{_REBUILD.format(name=name)}')
    fmt = doc.get('format')
    if fmt not in READABLE_FORMATS:
        raise StoreError(f'{path} has store format {fmt!r}; this dense_ssl reads formats '
                         f'{", ".join(map(str, READABLE_FORMATS))} (a newer dense_ssl wrote it?)')
    need = ['ids', 'offsets', 'lengths', 'errors'] + (
        ['crc32', 'bin_size', 'fingerprints'] if fmt >= 2 else [])
    missing = [k for k in need if k not in doc]
    n = len(doc.get('ids') or [])
    wrong = [k for k in ('offsets', 'lengths', 'crc32') + (('fingerprints', ) if doc.get(
        'fingerprints') is not None else ()) if k in doc and len(doc[k] or []) != n]
    if missing or wrong:
        raise StoreError(f'{path}: ' + '; '.join(
            ([f'missing {", ".join(missing)}'] if missing else [])
            + ([f'{", ".join(wrong)} do not have one entry per id ({n})'] if wrong else []))
            + f'; {_REBUILD.format(name=name)}')
    return doc


def check_chunk(root: str, index: int, build_id: Optional[str] = None) -> str:
    """What is wrong with a finished chunk ('' if nothing): its index, the
    ``.bin`` size and every record's CRC-32, and (if given) its build id."""
    name = chunk_name(index)
    try:
        doc = read_chunk_index(root, index)
    except StoreError as e:
        return str(e).split(';')[0]
    if doc['format'] < FORMAT_VERSION:
        return f'{name}.json has the old store format {doc["format"]} (no checksums)'
    if build_id is not None and doc.get('build') != build_id:
        return f'{name}.json belongs to another build ({doc.get("build")!r} != {build_id!r})'
    try:
        with open(osp.join(root, name + '.bin'), 'rb') as f:
            data = f.read()
    except OSError as e:
        return f'{name}.bin cannot be read ({e.strerror or e})'
    if len(data) != doc['bin_size']:
        return f'{name}.bin has {len(data)} bytes, its index says {doc["bin_size"]}'
    for image_id, off, length, crc in zip(doc['ids'], doc['offsets'], doc['lengths'],
                                          doc['crc32']):
        if zlib.crc32(data[off:off + length]) != crc:
            return f'{name}.bin: the record of image {image_id!r} fails its checksum'
    return ''
