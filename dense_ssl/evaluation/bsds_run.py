"""Run the BSDS500 benchmarks of :mod:`dense_ssl.evaluation.bsds` over a folder.

Results may be given as the official benchmark reads them (a folder with, per
image, ``<id>.mat`` holding ``ucm2`` or ``segs``, or ``<id>.png`` soft boundaries) or
as a :class:`~dense_ssl.grouping.store.HierarchyStore` (each region tree becomes a
doubled-grid UCM at the photo's size, :func:`~dense_ssl.evaluation.bsds.region_tree_to_ucm2`).
Images are those of the ground-truth folder (``<id>.mat``), in sorted order as the
MATLAB ``dir`` lists them. Region benchmarks need regions (ucm2, segs, store); a PNG
folder gets the boundary benchmark only, as in the official code.
"""
import multiprocessing as mp
import os
import os.path as osp
import sys
import time
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from .bsds import (
    MAX_DIST,
    BoundaryCounts,
    BoundaryResult,
    GroundTruth,
    RegionCounts,
    RegionResult,
    collect_boundaries,
    collect_regions,
    evaluate_boundaries,
    evaluate_regions,
    region_tree_to_ucm2,
    ucm2_to_pb,
    write_boundary_files,
    write_region_files,
)


def load_ground_truth(path: str) -> GroundTruth:
    """A BSDS ``groundTruth/<id>.mat`` (1 x K cell of structs)."""
    from scipy.io import loadmat
    try:
        cell = loadmat(path)['groundTruth']
    except Exception as e:  # scipy raises several kinds on a damaged file
        raise ValueError(f'{path}: not a readable BSDS ground-truth file '
                         f'({type(e).__name__}: {e})') from None
    cell = cell.ravel()
    if not len(cell):
        raise ValueError(f'{path}: empty groundTruth')
    return GroundTruth(
        segmentations=[np.asarray(h['Segmentation'][0, 0], np.int64) for h in cell],
        boundaries=[np.asarray(h['Boundaries'][0, 0], bool) for h in cell])


def load_result(path: str) -> Tuple[str, object]:
    """``('ucm2', array)``, ``('segs', [arrays])`` or ``('pb', array in [0, 1])``."""
    if path.endswith('.png'):
        from PIL import Image, UnidentifiedImageError
        try:
            with Image.open(path) as im:
                return 'pb', np.asarray(im.convert('L'), np.float64) / 255
        except (OSError, UnidentifiedImageError) as e:
            raise ValueError(f'{path}: not a readable PNG ({e})') from None
    from scipy.io import loadmat
    try:
        data = loadmat(path)
    except Exception as e:
        raise ValueError(f'{path}: not a readable .mat file ({type(e).__name__}: {e})') from None
    if 'ucm2' in data:
        return 'ucm2', np.asarray(data['ucm2'], np.float64)
    if 'segs' in data:
        return 'segs', [np.asarray(s, np.int64) for s in data['segs'].ravel()]
    raise ValueError(f'{path} holds neither "ucm2" nor "segs" '
                     f'(variables: {sorted(k for k in data if not k.startswith("__"))})')


def resize_map(edges: np.ndarray, height: int, width: int) -> np.ndarray:
    """A float map at another size (PIL bilinear, antialiased when shrinking)."""
    from PIL import Image
    edges = np.asarray(edges, np.float32)
    if edges.shape == (height, width):
        return edges
    return np.asarray(Image.fromarray(edges, mode='F').resize((width, height), Image.BILINEAR))


def save_pb_png(edges: np.ndarray, path: str) -> None:
    """A ``[0, 1]`` soft boundary map as the 8-bit PNG :func:`load_result` reads back
    (rounded to the nearest level), written atomically so a killed run leaves no stub."""
    from PIL import Image
    tmp = path + '.tmp.png'
    Image.fromarray(np.clip(np.asarray(edges) * 255 + 0.5, 0, 255).astype(np.uint8)).save(tmp)
    os.replace(tmp, path)


def list_gt_ids(gt_dir: str) -> List[str]:
    if not osp.isdir(gt_dir):
        raise FileNotFoundError(f'--gt-dir {gt_dir}: no such folder')
    ids = sorted(n[:-4] for n in os.listdir(gt_dir) if n.endswith('.mat'))
    if not ids:
        raise FileNotFoundError(f'--gt-dir {gt_dir}: no <id>.mat ground-truth files')
    return ids


def find_result(result_dir: str, image_id: str) -> str:
    for ext in ('.mat', '.png'):
        path = osp.join(result_dir, image_id + ext)
        if osp.isfile(path):
            return path
    raise FileNotFoundError(f'{result_dir} has no {image_id}.mat or {image_id}.png '
                            f'(one per ground-truth file)')


_STORES: Dict[str, object] = {}


def store_ucm2(store_dir: str, image_id: str) -> np.ndarray:
    """The doubled-grid UCM of a stored region tree (id matched by file stem)."""
    from dense_ssl.grouping.store import HierarchyStore
    store = _STORES.get(store_dir)
    if store is None:
        store = _STORES[store_dir] = HierarchyStore(store_dir)
        store._by_stem = {osp.splitext(osp.basename(i))[0]: i for i in store.ids()}
    key = store._by_stem.get(image_id)
    if key is None:
        raise KeyError(f'hierarchy store {store_dir} has no image {image_id}')
    hier = store.get(key)
    return region_tree_to_ucm2(hier.labels, hier.dist)


def tree_ucm2_of_map(pb: np.ndarray, builder) -> np.ndarray:
    """The doubled-grid UCM of the region tree ``builder`` (a
    :class:`~dense_ssl.grouping.HierarchyBuilder`) makes from a soft contour map at the
    photo's size, e.g. another method's UCM (:func:`ucm2_to_pb`): the map is resized to
    the grouping size and goes through OWT-UCM, the small-region filter, the K-region
    cut and the height normalisation, so the figures say what the tree format costs
    a given contour signal."""
    from dense_ssl.grouping.hierarchy import grouping_size
    h, w = np.shape(pb)
    small = resize_map(pb, *grouping_size(h, w, builder.long_side))
    hier = builder.tree_from_edges(small, h, w).expand()
    return region_tree_to_ucm2(hier.labels, hier.dist)


@dataclass(frozen=True)
class _Task:
    image_id: str
    gt_path: str
    result_path: Optional[str]
    store_dir: Optional[str]
    nthresh: int
    max_dist: float
    thin: bool
    method: str


def evaluate_one(task: _Task) -> Tuple[str, BoundaryCounts, Optional[RegionCounts]]:
    """Both benchmarks on one image (``allBench.m``'s loop body)."""
    gt = load_ground_truth(task.gt_path)
    if task.store_dir is not None:
        kind, data = 'ucm2', store_ucm2(task.store_dir, task.image_id)
    else:
        kind, data = load_result(task.result_path)
    shape = gt.boundaries[0].shape
    if kind == 'segs':
        if any(seg.shape != shape for seg in data):
            raise ValueError(f'{task.result_path}: a segmentation of {task.image_id} is not '
                             f'{shape[0]}x{shape[1]} like its ground truth {task.gt_path}')
        bdry = evaluate_boundaries(gt, segs=data, max_dist=task.max_dist, thin_pb=task.thin,
                                   method=task.method)
        return task.image_id, bdry, evaluate_regions(gt, segs=data)
    pb = ucm2_to_pb(data) if kind == 'ucm2' else data
    if pb.shape != shape:
        raise ValueError(f'{task.result_path or task.store_dir}: {task.image_id} is '
                         f'{pb.shape[0]}x{pb.shape[1]}, its ground truth {task.gt_path} '
                         f'{shape[0]}x{shape[1]}')
    bdry = evaluate_boundaries(gt, pb=pb, nthresh=task.nthresh, max_dist=task.max_dist,
                               thin_pb=task.thin, method=task.method)
    reg = evaluate_regions(gt, ucm2=data, nthresh=task.nthresh) if kind == 'ucm2' else None
    return task.image_id, bdry, reg


def _progress(done: int, total: int, t0: float, label: str) -> None:
    el = time.time() - t0
    eta = el / done * (total - done)
    print(f'\r{label}: {done}/{total} images, {el:.0f} s, ETA {eta:.0f} s',
          end='\n' if done == total else '', file=sys.stderr, flush=True)


def evaluate_folder(gt_dir: str, out_dir: str, result_dir: Optional[str] = None,
                    store_dir: Optional[str] = None, nthresh: int = 99, workers: int = 1,
                    max_dist: float = MAX_DIST, thin: bool = True, method: str = 'fast',
                    limit: int = 0, progress: bool = True
                    ) -> Tuple[BoundaryResult, Optional[RegionResult]]:
    """Benchmark a result folder (or a hierarchy store) and write the official files.

    Args:
        gt_dir: Folder of ``<id>.mat`` ground truth (e.g. ``groundTruth/val``).
        out_dir: Where ``eval_bdry*.txt`` (and, with regions, ``eval_cover*.txt``,
            ``eval_RI_VOI*.txt``) are written (created).
        result_dir: ``<id>.mat`` (``ucm2`` or ``segs``) or ``<id>.png`` per image.
        store_dir: Instead of ``result_dir``: a hierarchy store with these images.
        nthresh: Thresholds of ucm2 / soft maps (ignored for ``segs``).
        workers: Processes.
        limit: Only the first N images (0: all).

    Returns:
        The boundary and region results (``None`` regions for soft maps).
    """
    if (result_dir is None) == (store_dir is None):
        raise ValueError('give exactly one of result_dir and store_dir')
    if result_dir is not None and not osp.isdir(result_dir):
        raise FileNotFoundError(f'result folder {result_dir} does not exist')
    ids = list_gt_ids(gt_dir)
    if limit:
        ids = ids[:limit]
    tasks = [_Task(i, osp.join(gt_dir, i + '.mat'),
                   find_result(result_dir, i) if result_dir else None, store_dir,
                   int(nthresh), float(max_dist), bool(thin), method) for i in ids]
    os.makedirs(out_dir, exist_ok=True)
    label = osp.basename(osp.normpath(result_dir or store_dir))
    t0 = time.time()
    out = []
    pool = mp.get_context('fork').Pool(workers) if workers > 1 else None
    try:
        results = pool.imap(evaluate_one, tasks) if pool else map(evaluate_one, tasks)
        for k, res in enumerate(results, 1):
            out.append(res)
            if progress:
                _progress(k, len(tasks), t0, label)
    finally:
        if pool:
            pool.terminate()
            pool.join()
    bdry = collect_boundaries([b for _, b, _ in out])
    write_boundary_files(out_dir, bdry)
    regs = [r for _, _, r in out]
    reg = None
    if all(r is not None for r in regs):
        reg = collect_regions(regs)
        write_region_files(out_dir, reg)
    return bdry, reg


def summary_table(rows: Sequence[Tuple[str, BoundaryResult, Optional[RegionResult]]]) -> str:
    """One line per result: boundary ODS / OIS / AP, covering ODS / OIS / best, PRI, VoI."""
    head = (f'{"result":<24} {"ODS F":>6} {"OIS F":>6} {"AP":>6} | {"cov ODS":>7} '
            f'{"cov OIS":>7} {"best":>6} | {"PRI ODS":>7} {"PRI OIS":>7} | {"VoI ODS":>7} '
            f'{"VoI OIS":>7}')
    lines = [head, '-' * len(head)]
    for name, b, r in rows:
        line = f'{name[:24]:<24} {b.ods_f:6.3f} {b.ois_f:6.3f} {b.ap:6.3f} |'
        if r is None:
            line += ' ' + ' ' * 22 + '|' + ' ' * 16 + '|'
        else:
            line += (f' {r.cover_ods:7.3f} {r.cover_ois:7.3f} {r.cover_best:6.3f} |'
                     f' {r.pri_ods:7.3f} {r.pri_ois:7.3f} | {r.voi_ods:7.3f} {r.voi_ois:7.3f}')
        lines.append(line)
    return '\n'.join(lines)


def plot_pr_curves(curves: Sequence[Tuple[str, BoundaryResult]], path: str,
                   title: str = 'BSDS500 boundaries') -> None:
    """Precision-recall curves (``eval_bdry_thr.txt``) with their ODS points over iso-F
    lines, as ``plot_eval.m`` / ``create_isoF_figure.m`` draw them, saved as a PNG."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6, 6), dpi=110)
    r = np.linspace(0.01, 1, 300)
    for f in np.arange(0.1, 1.0, 0.1):
        p = f * r / (2 * r - f)
        ok = (p > 0) & (p <= 1)
        ax.plot(r[ok], p[ok], color='0.8', lw=0.8, zorder=0)
        k = np.flatnonzero(ok)[-1]
        ax.text(r[k] - 0.02, p[k] + 0.005, f'{f:.1f}', color='0.6', fontsize=7, ha='right')
    for name, b in curves:
        t = b.per_threshold
        ok = (t[:, 1] > 0) | (t[:, 2] > 0)
        line, = ax.plot(t[ok, 1], t[ok, 2], lw=1.8,
                        label=f'{name} (ODS F {b.ods_f:.3f}, AP {b.ap:.3f})')
        ax.plot([b.ods_r], [b.ods_p], 'o', color=line.get_color(), ms=6)
    ax.set(xlim=(0, 1), ylim=(0, 1), xlabel='Recall', ylabel='Precision', title=title,
           aspect='equal')
    ax.grid(True, color='0.92')
    ax.legend(loc='lower left', fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def read_boundary_result(out_dir: str) -> BoundaryResult:
    """A :class:`BoundaryResult` back from the files of an earlier run (to plot it)."""
    vals = np.loadtxt(osp.join(out_dir, 'eval_bdry.txt'))
    return BoundaryResult(*map(float, vals),
                          per_image=np.loadtxt(osp.join(out_dir, 'eval_bdry_img.txt'), ndmin=2),
                          per_threshold=np.loadtxt(osp.join(out_dir, 'eval_bdry_thr.txt'),
                                                   ndmin=2))


def read_region_result(out_dir: str) -> Optional[RegionResult]:
    """A :class:`RegionResult` back from an earlier run's files; None without them."""
    names = ('eval_cover.txt', 'eval_RI_VOI.txt', 'eval_cover_img.txt', 'eval_cover_th.txt',
             'eval_RI_VOI_thr.txt')
    if not all(osp.isfile(osp.join(out_dir, n)) for n in names):
        return None
    cover, rivoi, img, cth, rth = (np.loadtxt(osp.join(out_dir, n), ndmin=1 if k < 2 else 2)
                                   for k, n in enumerate(names))
    return RegionResult(*map(float, cover), *map(float, rivoi), img, cth, rth)


def write_edge_maps(items: Sequence, out_dir: str, builder, progress: bool = True) -> str:
    """The detector's soft edge maps as the edge benchmarks take them: ``<id>.png`` each.

    Each photo goes through the builder's resize and edges (the spectral step included
    when on), the map is scaled back to the photo's size (bilinear) and thinned by
    :func:`~dense_ssl.grouping.ucm.edge_nms`, as HED's and SE's published results are.
    This measures the detector alone, before OWT-UCM; a map already written is kept
    (a killed run resumes).

    Args:
        items: :class:`~dense_ssl.grouping.build.ImageItem` (``image_id``, ``path``).
        out_dir: Folder of the PNGs (created).
        builder: A :class:`~dense_ssl.grouping.hierarchy.HierarchyBuilder`.
    """
    from dense_ssl.grouping.ucm import edge_nms
    from dense_ssl.image_io import read_image
    os.makedirs(out_dir, exist_ok=True)
    t0 = time.time()
    for n, item in enumerate(items, 1):
        stem = osp.splitext(osp.basename(item.image_id))[0]
        path = osp.join(out_dir, stem + '.png')
        if not osp.isfile(path):
            image = read_image(item.path)
            h, w = image.shape[:2]
            edges = builder.edges(builder.resize(image))
            save_pb_png(edge_nms(resize_map(edges, h, w)), path)
        if progress:
            _progress(n, len(items), t0, 'edges')
    return out_dir
