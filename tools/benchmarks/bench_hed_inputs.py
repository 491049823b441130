#!/usr/bin/env python
"""What limits the HED route on BSDS500: HED's edge map alone, and OWT-UCM fed with variants of it.

For the first ``--limit`` photos of a split, HED runs once at the grouping size (long side
320) and once at the photo's size (cached in ``OUT/cache``); each variant then writes
``OUT/<variant>/<id>.mat`` (a ucm2 of the tree, the builder's OWT-UCM + small-region filter
+ K cut with ``--max-regions``, heights not normalised) or ``<id>.png`` (the thinned edge map)
and is benchmarked with the BSDS500 code of :mod:`dense_ssl.evaluation.bsds_run`:

* ``raw_nms``: HED at the photo's size, :func:`~dense_ssl.grouping.ucm.edge_nms`; the form of
  HED's published numbers. ``raw_nms_pad35``: the same with the input zero-padded by 34 px
  (Caffe's ``conv1_1`` pad 35 of the released HED model) and the side outputs cropped back,
  to tell whether the weights expect that layout.
* trees from ``base`` (HED at 320 px, the builder's own input), ``full2small`` (HED at the
  photo's size, resized to 320 px), ``ms`` (the mean of the two), ``up15`` (mean of 320 px
  and of the 320 px image upscaled 1.5x).

    python tools/benchmarks/bench_hed_inputs.py --split train --limit 20 --out work_dirs/hed_in
"""
import argparse
import os
import os.path as osp
import sys

VARIANTS = ('raw_nms', 'raw_nms_pad35', 'base', 'full2small', 'ms', 'up15')
DEFAULT_BSDS = osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), '..',
                        'shared', 'data', 'bsds500')


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[1],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--bsds', default=DEFAULT_BSDS, help='BSDS500 folder')
    p.add_argument('--split', default='train', choices=['train', 'val'])
    p.add_argument('--limit', type=int, default=20, help='first N images (0: all)')
    p.add_argument('--variants', nargs='+', default=list(VARIANTS), choices=VARIANTS)
    p.add_argument('--max-regions', type=int, default=128, help='K of the trees (default 128)')
    p.add_argument('--nthresh', type=int, default=99)
    p.add_argument('--workers', type=int, default=2, help='processes of the evaluation')
    p.add_argument('--out', required=True)
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    from dense_ssl.evaluation.hed_inputs import run_variants
    try:
        rows = run_variants(args.bsds, args.split, args.limit, args.variants, args.out,
                            max_regions=args.max_regions, nthresh=args.nthresh,
                            workers=args.workers)
    except (FileNotFoundError, ValueError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 2
    print('| variant | ODS F | OIS F | AP | cover ODS |')
    print('|---|---|---|---|---|')
    for name, bdry, reg in rows:
        cover = f'{reg.cover_ods:.3f}' if reg is not None else '-'
        print(f'| {name} | {bdry.ods_f:.3f} | {bdry.ois_f:.3f} | {bdry.ap:.3f} | {cover} |')
    print(f'files in {os.path.abspath(args.out)}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
