#!/usr/bin/env python
"""The CPU study of issue 14: six pre-trainings x seeds, dense probes, table.

Random init, MoCo-v2, DenseCL, HG, HG+MoCo and HG+DenseCL (ResNet-18,
128 px, the same iterations, on BSDS500 train) and a Lab + position
baseline, evaluated by linear / nearest-neighbour probes on dead-leaves
scenes, K-means grouping on BSDS500 val and the share of correct dense
matches between two views. Settings: dense_ssl/evaluation/cpu_study.py
(FULL, QUICK). Resumable: re-run the same command. See docs/dense_eval.md.

Examples::

    # the whole study on 2 cores (two shards), in the background
    nohup python tools/benchmarks/cpu_study.py --shard 0/2 > study0.log &
    nohup python tools/benchmarks/cpu_study.py --shard 1/2 > study1.log &
    # the table + plot of what has finished
    python tools/benchmarks/cpu_study.py --table-only
    # every step on tiny data (< 3 min; CI)
    python tools/benchmarks/cpu_study.py --quick --out work_dirs/cpu_study_quick
"""
import argparse
import os
import sys


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__.split('\n')[1],
        epilog=__doc__.split('Examples::')[1],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--out', default='work_dirs/cpu_study',
                   help='results folder (runs/*.json, results.jsonl, '
                   'table.md, table.png, losses.png; default '
                   'work_dirs/cpu_study)')
    p.add_argument('--bsds', default='../shared/data/bsds500',
                   help='BSDS500 root (images/, groundTruth/)')
    p.add_argument('--cache', default=os.path.expanduser(
        '~/.cache/dense_ssl'), help='scenes + region trees (reused)')
    p.add_argument('--quick', action='store_true',
                   help='every step on tiny data (CI, < 3 min)')
    p.add_argument('--shard', default='0/1',
                   metavar='I/N', help='run every N-th job from the I-th')
    p.add_argument('--table-only', action='store_true',
                   help='only write the table / plot of finished runs')
    args = p.parse_args(argv)
    from dense_ssl.grouping.build import parse_shard
    try:
        args.shard = parse_shard(args.shard)
    except ValueError as e:
        p.error(str(e))
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    from dense_ssl.evaluation import cpu_study as study
    if not args.table_only:
        for sub in ('images/train', 'images/val', 'groundTruth/val'):
            if not os.path.isdir(os.path.join(args.bsds, sub)):
                print(f'--bsds {args.bsds}: no {sub} folder', file=sys.stderr)
                return 2
        study.run_study(args.out, args.bsds, args.cache, quick=args.quick,
                        shard=args.shard,
                        log=lambda m: print(m, flush=True))
    records = study.read_records(args.out)
    rows = study.summarize(records)
    if not rows:
        print(f'no finished runs in {args.out}/runs', file=sys.stderr)
        return 1
    table = study.markdown_table(rows)
    with open(os.path.join(args.out, 'table.md'), 'w') as f:
        f.write(table + '\n')
    study.plot_table(rows, os.path.join(args.out, 'table.png'))
    study.plot_losses(records, os.path.join(args.out, 'losses.png'))
    print(table)
    print(f'wrote {args.out}/table.md, table.png and losses.png')
    return 0


if __name__ == '__main__':
    sys.exit(main())
