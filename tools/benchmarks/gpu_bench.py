"""One step of tools/benchmarks/gpu_check.sh: mmcv ops, DenseCL, HG or HED.

Each step appends its rows to ``--json`` (one JSON object a line);
``--table`` prints the table of such a file. ``--dry-run`` uses tiny sizes
(ResNet-18, batch 2, 64 px, one timed step) so the CPU runs the same code.

Examples::

    .venv/bin/python tools/benchmarks/gpu_bench.py densecl --device cuda \
        --json work_dirs/gpu_check/rows.jsonl
    .venv/bin/python tools/benchmarks/gpu_bench.py table \
        --json work_dirs/gpu_check/rows.jsonl
"""
import argparse
import json
import sys

STEPS = ('ops', 'densecl', 'hg', 'hed', 'table')


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split('\n', 2)[2])
    p.add_argument('step', choices=STEPS)
    p.add_argument('--device', default='cuda', help='cuda, cuda:N or cpu')
    p.add_argument('--dry-run', action='store_true',
                   help='tiny sizes (for the CPU test)')
    p.add_argument('--batch', type=int, help='batch (default 32; dry run 2)')
    p.add_argument('--image', help='image for the HED step (default: '
                   "scikit-image's astronaut)")
    p.add_argument('--json', required=True, help='rows file (appended)')
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.step == 'table':
        from dense_ssl.benchmarks.gpu_bench import format_rows
        try:
            with open(args.json) as f:
                rows = [json.loads(line) for line in f if line.strip()]
        except FileNotFoundError:
            sys.exit(f'error: no rows file {args.json}')
        print(format_rows(rows))
        return 0
    from dense_ssl.benchmarks import gpu_bench as gb
    sizes = gb.Sizes(args.dry_run, args.batch)
    if args.step == 'ops':
        from dense_ssl.benchmarks.ops_check import check_mmcv_ops
        print(check_mmcv_ops(args.device))
        return 0
    if args.step == 'densecl':
        rows = gb.bench_densecl(args.device, sizes)
    elif args.step == 'hg':
        rows = [gb.bench_hg(args.device, sizes),
                gb.bench_hg(args.device, sizes, amp=True)]
    else:
        import cv2
        if args.image:
            image = cv2.imread(args.image, cv2.IMREAD_COLOR)
            if image is None:
                sys.exit(f'error: cannot read --image {args.image}')
            image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
        else:
            from skimage import data
            image = data.astronaut()
        rows = [gb.bench_hed_hierarchy(args.device, sizes, image)]
    with open(args.json, 'a') as f:
        for r in rows:
            f.write(json.dumps(r) + '\n')
    print(gb.format_rows(rows))
    return 0


if __name__ == '__main__':
    sys.exit(main())
