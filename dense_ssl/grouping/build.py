"""Build a :class:`~dense_ssl.grouping.store.HierarchyStore` from many images.

Images are numbered in a fixed order and grouped into chunks of ``chunk_size``;
chunk ``c`` belongs to shard ``c % n`` (``--shard i/n`` on n machines). Workers
compute region trees image by image (``imap``, in order) and the main process
writes each chunk as soon as its last image is back, so:

* a killed run loses only the chunks in flight; re-running skips every chunk
  whose index file exists (resumable);
* the output does not depend on the number of workers or on interruptions
  (records are written in image order, files carry no timestamps);
* an image that cannot be read or processed is recorded in its chunk's index and
  in ``errors.txt`` (``path<TAB>reason``) and skipped;
* before a finished chunk of this shard is skipped, its ``.bin`` is checked
  (size and every record's CRC-32): a damaged or missing one is recomputed;
* ``meta.json`` is created atomically and exclusively, so of two builders
  started at once with different settings one is refused (``StoreError``).

Images are read with :func:`dense_ssl.image_io.read_image`, the reader of the
training pipeline, and each record gets the fingerprint of its file.

Testing hooks: the environment variable ``DENSE_SSL_BUILD_KILL_AFTER_CHUNKS=N``
makes the process kill itself (SIGKILL) right after writing its N-th chunk;
``DENSE_SSL_BUILD_KILL_BEFORE_INDEX=N`` after writing the N-th chunk's ``.bin``
but before its ``.json`` (a chunk killed half-way).
"""
import hashlib
import json
import os
import os.path as osp
import signal
import sys
import time
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np

from ..image_io import ImageReadError, read_image, read_image_and_fingerprint  # noqa: F401 (read_image: API)
from ..image_lists import IMG_EXTENSIONS, list_images, read_coco_images, read_list_file
from .chunks import (
    FORMAT_VERSION,
    StoreError,
    atomic_write,
    check_chunk,
    chunk_name,
    completed_chunks,
    meta_build_id,
    read_chunk_index,
    remove_stale_temporaries,
    write_chunk,
)
from .hierarchy import HierarchyBuilder
from .records import encode_region_tree


@dataclass(frozen=True)
class ImageItem:
    """An image to process: its store id and where to read it."""
    image_id: str
    path: str


def list_folder_images(root: str, extensions: Sequence[str] = IMG_EXTENSIONS) -> List[ImageItem]:
    """Every image below ``root`` (recursive, sorted); ids are posix paths relative to it."""
    return [ImageItem(n, osp.join(root, n)) for n in list_images(root, extensions)]


def list_coco_images(json_path: str, img_root: str) -> List[ImageItem]:
    """The ``images`` of a COCO json, in file order; ids are their ``file_name``."""
    return [ImageItem(n, osp.join(img_root, n)) for n in read_coco_images(json_path)]


def list_voc_images(list_path: str, img_root: str, ext: str = '.jpg') -> List[ImageItem]:
    """A VOC image-set list (one id per line, e.g. ``2007_000032``); ids get ``ext``
    appended (``2007_000032.jpg``), as ``UnlabeledImageDataset`` names them (one
    listing, ``dense_ssl.image_lists``, serves both)."""
    return [ImageItem(n, osp.join(img_root, n)) for n in read_list_file(list_path, ext)]


def items_digest(items: Sequence[ImageItem]) -> str:
    """Fingerprint of the image id list (paths may differ between machines)."""
    h = hashlib.sha256()
    for it in items:
        h.update(it.image_id.encode() + b'\0')
    return h.hexdigest()


def parse_shard(text: str) -> Tuple[int, int]:
    """``'i/n'`` (a tool's ``--shard``) -> ``(i, n)``; ``ValueError`` naming the text."""
    try:
        i, n = (int(v) for v in str(text).split('/'))
    except ValueError:
        raise ValueError(f'--shard expects i/n (e.g. 0/4), got {text!r}') from None
    if not 0 <= i < n:
        raise ValueError(f'--shard {text}: need 0 <= i < n')
    return i, n


def parse_detector_option(text: str) -> Tuple[str, object]:
    """``--detector-option KEY=VALUE`` -> ``(key, value)``, the value a Python literal
    (``sigma=1.0``, ``sigmas=(1, 2)``) or else the string. ``ValueError`` (which
    argparse reports as a usage error when this is an option's ``type``) otherwise."""
    import ast
    key, sep, value = text.partition('=')
    if not sep or not key.isidentifier():
        raise ValueError(f'--detector-option: expected KEY=VALUE, got {text!r}')
    try:
        return key, ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return key, value


def builder_from_args(args, device: str = 'cpu') -> HierarchyBuilder:
    """The :class:`HierarchyBuilder` of a tool's grouping options (``--detector``,
    ``--max-regions``, ``--long-side``, ``--detector-option KEY=VALUE`` ...), so every
    tool groups exactly alike. A bad ``--detector-option`` is a ``ValueError`` naming it."""
    kwargs = {}
    if args.detector == 'sed':
        kwargs['model_path'] = args.sed_model
    elif args.detector == 'hed':
        kwargs.update(weights=args.hed_weights, num_threads=args.threads_per_worker,
                      device=device)
    options = dict(parse_detector_option(t) for t in args.detector_option)
    kwargs.update(options)
    try:
        return HierarchyBuilder(args.detector, max_regions=args.max_regions,
                                long_side=args.long_side or None,
                                min_region_frac=args.min_region_frac, normalize=args.normalize,
                                detector_kwargs=kwargs, spectral=args.spectral)
    except TypeError as err:
        if not options:
            raise
        raise ValueError(f'--detector-option {options}: not accepted by the {args.detector!r} '
                         f'detector ({err})') from err


def shard_chunks(num_items: int, chunk_size: int, shard: Tuple[int, int]) -> List[int]:
    """Chunk numbers that shard ``(i, n)`` processes: ``c % n == i``."""
    i, n = shard
    if not 0 <= i < n:
        raise ValueError(f'shard must be i/n with 0 <= i < n, got {i}/{n}')
    num_chunks = (num_items + chunk_size - 1) // chunk_size
    return [c for c in range(num_chunks) if c % n == i]


# ---- worker side -------------------------------------------------------------------
_BUILDER: Optional[HierarchyBuilder] = None


def _init_worker(threads: Optional[int]) -> None:
    if threads and 'torch' in sys.modules:
        sys.modules['torch'].set_num_threads(threads)


def _process(item: ImageItem) -> Tuple[str, str, Optional[bytes], str, str]:
    """``(id, path, record or None, reason, fingerprint)``."""
    try:
        image, fingerprint = read_image_and_fingerprint(item.path)
    except ImageReadError as e:  # missing file, decoder error, truncated JPEG, ...
        return item.image_id, item.path, None, f'unreadable: {e.reason}', ''
    except Exception as e:
        return item.image_id, item.path, None, f'unreadable: {type(e).__name__}: {e}', ''
    try:
        return item.image_id, item.path, encode_region_tree(_BUILDER(image)), '', fingerprint
    except Exception as e:  # never let one image stop a 100k-image job
        return (item.image_id, item.path, None,
                f'grouping failed: {type(e).__name__}: {e}', '')


def _finish(job: Tuple[ImageItem, np.ndarray, Tuple[int, int], str]
            ) -> Tuple[str, str, Optional[bytes], str, str]:
    """Worker half of the batched path: spectral step + OWT-UCM of a local edge map;
    the same ``(id, path, record or None, reason, fingerprint)`` as :func:`_process`."""
    item, local, (h, w), fingerprint = job
    try:
        tree = _BUILDER.tree_from_edges(_BUILDER.globalize(local), h, w)
        return item.image_id, item.path, encode_region_tree(tree), '', fingerprint
    except Exception as e:
        return (item.image_id, item.path, None,
                f'grouping failed: {type(e).__name__}: {e}', '')


def _batched_results(tasks: Sequence[ImageItem], batch_size: int, pool) -> Iterable:
    """Same records as ``map(_process, tasks)``, with the detector run ``batch_size``
    images at a time in this process (HED on the GPU) and the rest in the workers.

    One batch is in flight in the workers while the next one is detected.
    """
    pending = None  # (group results placeholder list, async result or list)

    def detect(group):
        out: List = [None] * len(group)
        jobs, where = [], []
        smalls = []
        for k, item in enumerate(group):
            try:
                image, fingerprint = read_image_and_fingerprint(item.path)
            except ImageReadError as e:
                out[k] = (item.image_id, item.path, None, f'unreadable: {e.reason}', '')
                continue
            except Exception as e:
                out[k] = (item.image_id, item.path, None,
                          f'unreadable: {type(e).__name__}: {e}', '')
                continue
            smalls.append(_BUILDER.resize(image))
            jobs.append((item, image.shape[:2], fingerprint))
            where.append(k)
        try:
            locals_ = _BUILDER.detector_batch(smalls, batch_size)
        except Exception:  # one bad batch must not stop the job: retry one by one
            locals_ = []
            for small in smalls:
                try:
                    locals_.append(_BUILDER.detector(small))
                except Exception as e1:
                    locals_.append(e1)
        finish_jobs, finish_where = [], []
        for (item, hw, fingerprint), k, local in zip(jobs, where, locals_):
            if isinstance(local, Exception):
                out[k] = (item.image_id, item.path, None,
                          f'grouping failed: {type(local).__name__}: {local}', '')
            else:
                finish_jobs.append((item, local, hw, fingerprint))
                finish_where.append(k)
        res = pool.map_async(_finish, finish_jobs) if pool is not None else list(
            map(_finish, finish_jobs))
        return out, finish_where, res

    def collect(state):
        out, where, res = state
        for k, r in zip(where, res.get() if hasattr(res, 'get') else res):
            out[k] = r
        return out

    for start in range(0, len(tasks), batch_size):
        state = detect(tasks[start:start + batch_size])
        if pending is not None:
            yield from collect(pending)
        pending = state
    if pending is not None:
        yield from collect(pending)


# ---- main side ---------------------------------------------------------------------
class _Progress:
    """tqdm when available, else a line with rate and ETA every 10 s."""

    def __init__(self, total: int, desc: str, enabled: bool) -> None:
        self.total, self.desc, self.enabled, self.n = total, desc, enabled, 0
        self.t0 = self.last = time.time()
        self.bar = None
        if enabled:
            try:
                from tqdm import tqdm
                self.bar = tqdm(total=total, desc=desc, unit='img', dynamic_ncols=True)
            except ImportError:
                pass

    def update(self) -> None:
        self.n += 1
        if self.bar is not None:
            self.bar.update(1)
        elif self.enabled and (time.time() - self.last > 10 or self.n == self.total):
            self.last = time.time()
            rate = self.n / max(self.last - self.t0, 1e-9)
            eta = (self.total - self.n) / max(rate, 1e-9)
            print(f'{self.desc}: {self.n}/{self.total} images, {rate:.2f} img/s, '
                  f'ETA {eta / 60:.1f} min', file=sys.stderr, flush=True)

    def write(self, message: str) -> None:
        if self.bar is not None:
            self.bar.write(message, file=sys.stderr)
        else:
            print(message, file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _claim_meta(out_dir: str, meta: Dict) -> str:
    """Create ``meta.json`` (atomically, only if absent) or check that the one
    there equals ``meta``; returns the build id the chunks carry."""
    path = osp.join(out_dir, 'meta.json')
    data = json.dumps(meta, sort_keys=True, indent=1).encode()
    for _ in range(50):  # another builder may be creating it right now
        if atomic_write(path, data, exclusive=True):
            return meta_build_id(meta)
        try:
            with open(path, 'rb') as f:
                old = json.loads(f.read())
            break
        except (FileNotFoundError, json.JSONDecodeError):  # half-written by a fallback writer
            time.sleep(0.1)
    else:
        raise StoreError(f'{path} exists but is not valid json: delete it and re-run')
    if old != meta:
        flat_old = dict(old, **old.get('config', {}))
        flat_new = dict(meta, **meta.get('config', {}))
        diff = [f'{k}: {flat_old.get(k)} -> {flat_new.get(k)}'
                for k in sorted(set(flat_old) | set(flat_new))
                if k != 'config' and flat_old.get(k) != flat_new.get(k)]
        hint = ('; it was written by an older dense_ssl (store format '
                f'{old.get("format")}), which training still reads, but this builder '
                'cannot add to it: build into a new --out'
                if old.get('format') != meta['format'] else '; use another --out or delete it')
        raise StoreError(f'{out_dir} holds a store built with other settings or images ('
                         f'{"; ".join(diff)}){hint}')
    return meta_build_id(meta)


def write_errors_file(out_dir: str) -> int:
    """(Re)write ``errors.txt`` from the chunk indexes present; returns the count."""
    lines = []
    for c in completed_chunks(out_dir):
        lines += [f'{path}\t{reason}\n'
                  for _, path, reason in read_chunk_index(out_dir, c)['errors']]
    atomic_write(osp.join(out_dir, 'errors.txt'), ''.join(lines).encode())
    return len(lines)


def build_store(items: Sequence[ImageItem], out_dir: str, builder: HierarchyBuilder,
                workers: int = 1, chunk_size: int = 500, shard: Tuple[int, int] = (0, 1),
                threads_per_worker: Optional[int] = 1, progress: bool = True,
                batch_size: int = 1) -> Dict:
    """Compute and store the region trees of ``items`` (this shard's chunks only).

    Args:
        items: Images in their fixed order (see the ``list_*_images`` helpers).
        out_dir: Store directory (created; reused to resume).
        builder: Computes one image's :class:`RegionTree`.
        workers: Processes; 1 computes in this process.
        chunk_size: Images per chunk file (part of the store's identity).
        shard: ``(i, n)``: process chunks ``c`` with ``c % n == i``.
        threads_per_worker: Torch threads per worker (HED); ``None`` leaves the default.
        progress: Show a progress bar with rate and ETA.
        batch_size: ``> 1``: run the detector on that many images at a time in this
            process (HED on ``device='cuda'``), the spectral step and OWT-UCM in the
            workers. The store is the same as with ``batch_size=1`` up to the
            detector's float rounding between batched and single-image calls.

    Returns:
        Counts: ``done`` (images written now), ``skipped`` (unreadable now),
        ``stored`` and ``failed`` (images of this shard in the store / skipped,
        this run and earlier ones), ``chunks_written``, ``chunks_existing``,
        ``chunks_redone`` (damaged ones recomputed), ``chunks_missing`` (all shards).

    Raises:
        StoreError: ``out_dir`` holds a store of other settings or images.
        StoreWriteError: a file could not be written ("no space left on <dir>").
    """
    global _BUILDER
    if len({it.image_id for it in items}) != len(items):
        raise ValueError('image ids are not unique')
    os.makedirs(out_dir, exist_ok=True)
    build_id = _claim_meta(out_dir, dict(format=FORMAT_VERSION, config=builder.config(),
                                         chunk_size=int(chunk_size), num_images=len(items),
                                         ids_sha256=items_digest(items)))
    remove_stale_temporaries(out_dir)
    mine = shard_chunks(len(items), chunk_size, shard)
    existing = set(completed_chunks(out_dir)) & set(mine)
    damaged = {}
    for c in sorted(existing):  # trust no index blindly: check its .bin too
        problem = check_chunk(out_dir, c, build_id)
        if problem:
            damaged[c] = problem
    todo = [c for c in mine if c not in existing or c in damaged]
    tasks = [it for c in todo for it in items[c * chunk_size:(c + 1) * chunk_size]]
    kill_after = int(os.environ.get('DENSE_SSL_BUILD_KILL_AFTER_CHUNKS', '0') or 0)
    kill_before_index = int(os.environ.get('DENSE_SSL_BUILD_KILL_BEFORE_INDEX', '0') or 0)

    _BUILDER = builder
    bar = _Progress(len(tasks), f'shard {shard[0]}/{shard[1]}', progress)
    for c, problem in damaged.items():
        bar.write(f'{chunk_name(c)} is damaged ({problem}): recomputing it')
    done = skipped = written = 0
    pool = None
    if batch_size < 1:
        raise ValueError(f'batch_size must be >= 1, got {batch_size}')
    if workers > 1 and tasks:
        import multiprocessing as mp
        # fork: workers inherit the builder (HED weights loaded once). In the batched
        # path they never touch torch, so a CUDA context in this process is harmless.
        pool = mp.get_context('fork').Pool(workers, _init_worker, (threads_per_worker,))
    else:
        _init_worker(threads_per_worker)
    if batch_size > 1:
        results: Iterable = _batched_results(tasks, batch_size, pool)
    elif pool is not None:
        results = pool.imap(_process, tasks, chunksize=2)
    else:
        results = map(_process, tasks)
    try:
        it = iter(results)
        for c in todo:
            n = len(items[c * chunk_size:(c + 1) * chunk_size])
            records, errors, fingerprints = [], [], []
            for _ in range(n):
                image_id, path, rec, reason, fingerprint = next(it)
                if rec is None:
                    errors.append((image_id, path, reason))
                    bar.write(f'skipped {path}: {reason}')
                else:
                    records.append((image_id, rec))
                    fingerprints.append(fingerprint)
                bar.update()
            hook = None
            if kill_before_index and written + 1 >= kill_before_index:
                hook = lambda: os.kill(os.getpid(), signal.SIGKILL)  # noqa: E731
            write_chunk(out_dir, c, records, errors, fingerprints, build_id, before_index=hook)
            done, skipped, written = done + len(records), skipped + len(errors), written + 1
            if kill_after and written >= kill_after:
                os.kill(os.getpid(), signal.SIGKILL)
    finally:
        bar.close()
        if pool is not None:
            pool.terminate()
            pool.join()
    write_errors_file(out_dir)
    finished = set(completed_chunks(out_dir))
    stored = failed = 0
    for c in sorted(finished & set(mine)):
        doc = read_chunk_index(out_dir, c)
        stored, failed = stored + len(doc['ids']), failed + len(doc['errors'])
    all_chunks = set(range((len(items) + chunk_size - 1) // chunk_size))
    return dict(done=done, skipped=skipped, stored=stored, failed=failed,
                chunks_written=written, chunks_existing=len(existing) - len(damaged),
                chunks_redone=len(damaged), chunks_missing=len(all_chunks - finished))
