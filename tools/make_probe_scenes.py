#!/usr/bin/env python
"""Labelled dead-leaves scenes for the dense probes, from packaged photos.

Each scene is a stack of opaque random shapes, each filled with a rotated,
zoomed, colour-shifted patch of one of 8 source photos (scikit-image /
scikit-learn samples; nothing is downloaded); the label of a pixel is the
source of the shape on top (class ids 0..7, names in classes.txt). Writes
OUT/images/NNNNN.png, OUT/labels/NNNNN.png (palette PNGs). Deterministic:
scene i depends only on (--seed, i), so the same command gives the same
bytes and a larger --num only appends. See docs/dense_eval.md.

Examples::

    python tools/make_probe_scenes.py work_dirs/scenes/train --num 48 --seed 0
    python tools/make_probe_scenes.py work_dirs/scenes/val --num 24 --seed 1
    # bigger scenes with more, hence smaller visible, shapes
    python tools/make_probe_scenes.py work_dirs/scenes/big --num 8 --size 448 \\
        --leaves 48
"""
import argparse
import sys


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__.split('\n')[1],
        epilog=__doc__.split('Examples::')[1],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('out', help='output folder (images/, labels/, '
                   'classes.txt)')
    p.add_argument('--num', type=int, default=48, help='number of scenes')
    p.add_argument('--seed', type=int, default=0,
                   help='scene i depends only on (seed, i)')
    p.add_argument('--size', type=int, default=224, help='side in pixels')
    p.add_argument('--leaves', type=int, default=24,
                   help='shapes painted over the background')
    args = p.parse_args(argv)
    for name, least in (('num', 1), ('size', 8), ('leaves', 0)):
        if getattr(args, name) < least:
            p.error(f'--{name} {getattr(args, name)}: needs >= {least}')
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    from dense_ssl.evaluation.probe_scenes import write_scenes

    def progress(done: int, total: int) -> None:
        if done == total or done % max(1, total // 10) == 0:
            print(f'scenes: {done}/{total}', file=sys.stderr, flush=True)

    img_dir, lab_dir = write_scenes(args.out, args.num, args.seed, args.size,
                                    args.leaves, progress)
    print(f'wrote {args.num} scenes: {img_dir}, {lab_dir}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
