#!/usr/bin/env python
"""Benchmark the BSDS500 evaluator: seconds per image and the projected full-val time.

Evaluates the first N val images (boundaries + regions, as tools/eval_bsds.py does) one
after the other in this process, timing wall and CPU time (``time.process_time``; other
jobs on a shared machine inflate it less than wall time), and projects the 100-image
val split with ``--workers`` processes. The load average is printed with the results.

    python tools/benchmarks/bench_bsds.py                      # 4 images, 99 thresholds
    python tools/benchmarks/bench_bsds.py --num-images 10 --method exact
"""
import argparse
import os
import os.path as osp
import sys
import time

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
BSDS = osp.join(osp.dirname(REPO), 'shared', 'data', 'bsds500')
VAL_IMAGES = 100
TARGET_S = 300  # the full val split in <= 5 min (issue 9)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[1])
    p.add_argument('--gt-dir', default=osp.join(BSDS, 'groundTruth', 'val'),
                   help='ground truth (default: ../shared/data/bsds500/groundTruth/val)')
    p.add_argument('--ucm2-dir', default=osp.join(BSDS, 'ucm2_gpb', 'val'),
                   help='results (default: the gPb-owt-ucm val ucm2)')
    p.add_argument('--num-images', type=int, default=4, help='images timed (default 4)')
    p.add_argument('--nthresh', type=int, default=99, help='thresholds (default 99)')
    p.add_argument('--method', default='fast', choices=['fast', 'exact'])
    p.add_argument('--workers', type=int, default=2,
                   help='processes assumed for the projection (default 2)')
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    from dense_ssl.evaluation.bsds_run import _Task, evaluate_one, find_result, list_gt_ids
    try:
        ids = list_gt_ids(args.gt_dir)[:args.num_images]
        tasks = [_Task(i, osp.join(args.gt_dir, i + '.mat'), find_result(args.ucm2_dir, i),
                       None, args.nthresh, 0.0075, True, args.method) for i in ids]
    except FileNotFoundError as e:
        print(f'error: {e}', file=sys.stderr)
        return 2
    evaluate_one(tasks[0])  # warm-up: imports, first allocations
    wall, cpu = [], []
    for task in tasks:
        w0, c0 = time.perf_counter(), time.process_time()
        evaluate_one(task)
        wall.append(time.perf_counter() - w0)
        cpu.append(time.process_time() - c0)
        print(f'{task.image_id}: {wall[-1]:.2f} s wall, {cpu[-1]:.2f} s CPU', flush=True)
    n = len(tasks)
    w, c = sum(wall) / n, sum(cpu) / n
    proj = VAL_IMAGES * c / args.workers
    print(f'\n{n} images, nthresh {args.nthresh}, method {args.method}: {w:.2f} s/image wall, '
          f'{c:.2f} s/image CPU')
    print(f'projected full val ({VAL_IMAGES} images, {args.workers} workers, one core each): '
          f'{proj:.0f} s from CPU time, {VAL_IMAGES * w / args.workers:.0f} s from wall time '
          f'(target <= {TARGET_S} s: {"met" if proj <= TARGET_S else "MISSED"})')
    print('load average (1, 5, 15 min): ' + ', '.join(f'{v:.2f}' for v in os.getloadavg()))
    return 0


if __name__ == '__main__':
    sys.exit(main())
