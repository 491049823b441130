#!/usr/bin/env python
"""Region trees of each grouping route on BSDS500, measured with the BSDS500 benchmarks.

For every route (detector, with or without gPb's spectral step) the photos of a split
are grouped exactly as ``tools/build_hierarchy.py`` does (``build_store`` with its
defaults: long side 320, K = 40 regions, small-region filter, heights divided by the
image's largest), one process with one torch thread; every stored tree becomes a
doubled-grid UCM at the photo's size and is benchmarked (boundaries ODS / OIS / AP,
covering, PRI, VoI; ``nthresh`` thresholds). ``gpb`` benchmarks the paper's
gPb-owt-ucm results (``ucm2_gpb/<split>``) on the same images; ``gpb-tree`` sends those
UCMs through the tree builder instead of a detector's map (same long side, filter, K and
normalisation), which says what the tree format itself costs the best contours at hand.

Build speed is reported per core: images / CPU seconds of the build process
(``time.process_time``, so other jobs on a shared machine inflate it little), next to
the wall-clock rate. Each route's results go to ``OUT/<route>/`` (``result.json``, the
official ``eval_*.txt`` files); a route whose ``result.json`` exists is not redone, so
a killed run resumes. Prints a markdown table and draws the PR curves (``OUT/pr.png``).

    python tools/benchmarks/bench_bsds_trees.py --limit 20 --out work_dirs/bsds_trees
    python tools/benchmarks/bench_bsds_trees.py --routes gradient hed+spectral gpb \\
        --limit 0 --out work_dirs/bsds_trees_full
"""
import argparse
import json
import os
import os.path as osp
import sys
import time

ROUTES = ('gradient', 'gradient+spectral', 'multicue', 'multicue+spectral', 'pmi', 'pmi-local',
          'hed', 'hed+spectral', 'gpb', 'gpb-tree')
DEFAULT_BSDS = osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), '..',
                        'shared', 'data', 'bsds500')


def detector_option(text):
    """``KEY=VALUE`` -> ``(key, value)``, parsed as build_hierarchy.py's option is."""
    from dense_ssl.grouping.build import parse_detector_option
    return parse_detector_option(text)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[1],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--bsds', default=DEFAULT_BSDS,
                   help='BSDS500 folder (images/, groundTruth/, ucm2_gpb/)')
    p.add_argument('--split', default='val', choices=['train', 'val'])
    p.add_argument('--routes', nargs='+', default=list(ROUTES), choices=ROUTES)
    p.add_argument('--limit', type=int, default=20,
                   help='only the first N images in sorted id order (0: the whole split)')
    p.add_argument('--nthresh', type=int, default=99, help='thresholds (official: 99)')
    p.add_argument('--long-side', type=int, default=320, help='grouping size (default 320)')
    p.add_argument('--max-regions', type=int, default=40, help='K (default 40)')
    p.add_argument('--min-region-frac', type=float, default=0.002,
                   help="small-region filter, as build_hierarchy.py's (default 0.002)")
    p.add_argument('--normalize', default='image', choices=['image', 'none'],
                   help="merge heights, as build_hierarchy.py's (default image)")
    p.add_argument('--detector-option', action='append', default=[], metavar='KEY=VALUE',
                   type=detector_option,
                   help='a keyword of the detector, e.g. weight=0.35 for pmi (repeatable; '
                        'a value is read as a Python literal)')
    p.add_argument('--spectral-weight', type=float, default=None,
                   help="share of the spectral signal (default: SpectralConfig's)")
    p.add_argument('--workers', type=int, default=1, help='processes of the evaluation')
    p.add_argument('--out', required=True, help='results folder (reused to resume)')
    return p.parse_args(argv)


def build_route(route, items, store_dir, args):
    """Build the store of ``route``; returns (images, CPU seconds, wall seconds)."""
    from dense_ssl.grouping.build import build_store
    from dense_ssl.grouping.hierarchy import HierarchyBuilder
    from dense_ssl.grouping.spectral import SpectralConfig
    detector, _, extra = route.partition('+')
    spectral = False
    if extra == 'spectral':
        spectral = (SpectralConfig() if args.spectral_weight is None
                    else SpectralConfig(weight=args.spectral_weight))
    kwargs = dict(num_threads=1) if detector == 'hed' else {}
    kwargs.update(args.detector_option)
    builder = HierarchyBuilder(detector, max_regions=args.max_regions,
                               long_side=args.long_side or None, detector_kwargs=kwargs,
                               spectral=spectral, min_region_frac=args.min_region_frac,
                               normalize=args.normalize)
    c0, t0 = time.process_time(), time.time()
    res = build_store(items, store_dir, builder, workers=1, progress=False)
    return res['done'], time.process_time() - c0, time.time() - t0


def gpb_trees(gpb_dir, ids, out_dir, args):
    """``out_dir/<id>.mat`` (``ucm2``): the builder's tree of each gPb-owt-ucm result."""
    from scipy.io import savemat

    from dense_ssl.evaluation.bsds import ucm2_to_pb
    from dense_ssl.evaluation.bsds_run import find_result, load_result, tree_ucm2_of_map
    from dense_ssl.grouping.hierarchy import HierarchyBuilder
    builder = HierarchyBuilder(max_regions=args.max_regions, long_side=args.long_side or None,
                               min_region_frac=args.min_region_frac, normalize=args.normalize)
    os.makedirs(out_dir, exist_ok=True)
    for i in ids:
        _, ucm2 = load_result(find_result(gpb_dir, i))
        savemat(osp.join(out_dir, i + '.mat'),
                dict(ucm2=tree_ucm2_of_map(ucm2_to_pb(ucm2), builder)))
    return out_dir


def run_route(route, args, ids):
    from dense_ssl.evaluation import bsds_run
    from dense_ssl.grouping.build import ImageItem
    out = osp.join(args.out, route)
    done_file = osp.join(out, 'result.json')
    if osp.isfile(done_file):
        with open(done_file) as f:
            return json.load(f)
    os.makedirs(out, exist_ok=True)
    gt_dir = osp.join(args.bsds, 'groundTruth', args.split)
    info = dict(route=route, images=len(ids))
    if route == 'gpb':
        kw = dict(result_dir=osp.join(args.bsds, 'ucm2_gpb', args.split))
    elif route == 'gpb-tree':
        kw = dict(result_dir=gpb_trees(osp.join(args.bsds, 'ucm2_gpb', args.split), ids,
                                       osp.join(out, 'ucm2'), args))
    else:
        store_dir = osp.join(out, 'store')
        items = [ImageItem(i + '.jpg', osp.join(args.bsds, 'images', args.split, i + '.jpg'))
                 for i in ids]
        n, cpu, wall = build_route(route, items, store_dir, args)
        if n:  # 0 when the store was already complete (a resumed run)
            info.update(build_cpu_s=cpu, build_wall_s=wall, img_per_s_per_core=n / cpu,
                        img_per_s_wall=n / wall)
            with open(osp.join(out, 'build.json'), 'w') as f:
                json.dump(info, f)
        elif osp.isfile(osp.join(out, 'build.json')):
            with open(osp.join(out, 'build.json')) as f:
                info = json.load(f)
        kw = dict(store_dir=store_dir)
    t0 = time.time()
    bdry, reg = bsds_run.evaluate_folder(gt_dir, osp.join(out, 'eval'), nthresh=args.nthresh,
                                workers=args.workers, limit=len(ids), progress=False, **kw)
    info.update(eval_s=time.time() - t0, ods_f=bdry.ods_f, ois_f=bdry.ois_f, ap=bdry.ap,
                cover_ods=reg.cover_ods, cover_ois=reg.cover_ois, cover_best=reg.cover_best,
                pri_ods=reg.pri_ods, pri_ois=reg.pri_ois, voi_ods=reg.voi_ods,
                voi_ois=reg.voi_ois)
    with open(done_file, 'w') as f:
        json.dump(info, f, indent=1)
    return info


def table(rows):
    head = ('| route | ODS F | OIS F | AP | cov ODS | cov OIS | cov best | PRI ODS | VoI ODS '
            '| img/s per core | img/s wall |')
    lines = [head, '|' + '---|' * 11]
    for r in rows:
        speed = (f'{r["img_per_s_per_core"]:.2f} | {r["img_per_s_wall"]:.2f}'
                 if 'img_per_s_per_core' in r else '- | -')
        lines.append(f'| {r["route"]} | {r["ods_f"]:.3f} | {r["ois_f"]:.3f} | {r["ap"]:.3f} | '
                     f'{r["cover_ods"]:.3f} | {r["cover_ois"]:.3f} | {r["cover_best"]:.3f} | '
                     f'{r["pri_ods"]:.3f} | {r["voi_ods"]:.3f} | {speed} |')
    return '\n'.join(lines)


def main(argv=None) -> int:
    args = parse_args(argv)
    from dense_ssl.evaluation.bsds_run import list_gt_ids, plot_pr_curves, read_boundary_result
    try:
        ids = list_gt_ids(osp.join(args.bsds, 'groundTruth', args.split))
    except FileNotFoundError as e:
        print(f'error: {e} (see --bsds)', file=sys.stderr)
        return 1
    if args.limit:
        ids = ids[:args.limit]
    rows = []
    for route in args.routes:
        rows.append(run_route(route, args, ids))
        print(f'{route}: done ({time.strftime("%H:%M:%S")})', file=sys.stderr, flush=True)
    text = (f'BSDS500 {args.split}, first {len(ids)} ids (sorted), nthresh {args.nthresh}, '
            f'long side {args.long_side}, K {args.max_regions}, '
            f'min region frac {args.min_region_frac:g}, normalize {args.normalize}'
            + ''.join(f', {k}={v!r}' for k, v in args.detector_option)
            + f'\n\n{table(rows)}\n')
    with open(osp.join(args.out, 'table.md'), 'w') as f:
        f.write(text)
    print(text)
    plot_pr_curves([(r['route'], read_boundary_result(osp.join(args.out, r['route'], 'eval')))
                    for r in rows], osp.join(args.out, 'pr.png'),
                   title=f'BSDS500 {args.split} ({len(ids)} images)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
