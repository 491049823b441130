#!/usr/bin/env python
"""Frozen-feature dense evaluation of a pre-trained model (issue 14).

Linear probe and nearest-neighbour label retrieval (mIoU) on a labelled set
(a folder of images + a folder of label PNGs of the same names), and,
with --grouping-images / --grouping-gt, K-means grouping scored by the
BSDS benchmarks (covering, PRI, VoI, boundary F). The features are the
model's backbone map (--feature backbone, --stage) or its dense embedding
(--feature neck: the HG hypercolumn when it has one, else the last backbone
map). The probes' settings are fixed (dense_ssl/evaluation/dense_probe.py);
see docs/dense_eval.md.

Examples::

    # scenes to probe on (dead leaves of textures from packaged photos)
    python tools/make_probe_scenes.py work_dirs/scenes/train --num 48 --seed 0
    python tools/make_probe_scenes.py work_dirs/scenes/val --num 24 --seed 1
    python tools/dense_probe.py configs/cpu_study/densecl_r18_bsds.py \\
        --checkpoint work_dirs/densecl/iter_100.pth \\
        --train-images work_dirs/scenes/train/images \\
        --train-labels work_dirs/scenes/train/labels \\
        --val-images work_dirs/scenes/val/images \\
        --val-labels work_dirs/scenes/val/labels --out probe.json
    # the random initialisation, HG's hypercolumn, grouping on BSDS500 val
    python tools/dense_probe.py configs/cpu_study/hiergroup_r18_bsds.py \\
        --random-init --feature neck --probes grouping \\
        --grouping-images ../shared/data/bsds500/images/val \\
        --grouping-gt ../shared/data/bsds500/groundTruth/val \\
        --grouping-limit 20 --out hg_random.json
"""
import argparse
import json
import os
import sys


def parse_args(argv=None):
    from mmengine.config import DictAction
    p = argparse.ArgumentParser(
        description=__doc__.split('\n')[1],
        epilog=__doc__.split('Examples::')[1],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('config', help='model config (a training config)')
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument('--checkpoint', help='Runner checkpoint or exported '
                     'backbone (.pth / .safetensors)')
    src.add_argument('--random-init', action='store_true',
                     help='no weights: the random initialisation (a '
                     'baseline); seeded by --seed')
    p.add_argument('--feature', choices=('backbone', 'neck'),
                   default='backbone',
                   help="'backbone': a backbone stage (--stage); 'neck': the "
                   "model's dense embedding (extract_dense)")
    p.add_argument('--stage', type=int, default=-1,
                   help='index into the backbone outputs (default -1: last)')
    p.add_argument('--cfg-options', nargs='+', action=DictAction,
                   metavar='K=V', help='override config settings')
    p.add_argument('--train-images', help='folder of train images')
    p.add_argument('--train-labels', help='folder of train label PNGs')
    p.add_argument('--val-images', help='folder of val images')
    p.add_argument('--val-labels', help='folder of val label PNGs')
    p.add_argument('--ignore-index', type=int, default=255,
                   help='label of unlabelled pixels (default 255; -1: none)')
    p.add_argument('--num-classes', type=int,
                   help='default: 1 + the largest label seen')
    p.add_argument('--size', type=int,
                   help='resize images / labels to SIZE x SIZE (needed when '
                   'their sizes differ)')
    p.add_argument('--probes', nargs='+', choices=('linear', 'nn',
                                                   'grouping'),
                   help='default: linear nn, plus grouping when '
                   '--grouping-images is given')
    p.add_argument('--grouping-images', help='photos to group (e.g. BSDS500 '
                   'images/val)')
    p.add_argument('--grouping-gt', help='their BSDS ground truth '
                   '(<stem>.mat, e.g. groundTruth/val)')
    p.add_argument('--grouping-limit', type=int,
                   help='only the first N photos (sorted)')
    p.add_argument('--ks', type=int, nargs='+', default=[2, 4, 8, 16],
                   help='K of K-means (the benchmark thresholds)')
    p.add_argument('--device', default='cpu', help='e.g. cuda, cuda:1')
    p.add_argument('--seed', type=int, default=0,
                   help='torch seed of --random-init')
    p.add_argument('--out', required=True, help='JSON file of the figures')
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    import torch

    from dense_ssl.applications.image_io import list_images
    from dense_ssl.evaluation import probe_runner as pr
    probes = args.probes or (['linear', 'nn'] + (
        ['grouping'] if args.grouping_images else []))
    ignore = None if args.ignore_index < 0 else args.ignore_index
    if not os.path.isfile(args.config):
        raise SystemExit(f'config {args.config}: no such file')
    train = val = None
    try:
        if {'linear', 'nn'} & set(probes):
            for opt in ('train_images', 'train_labels', 'val_images',
                        'val_labels'):
                if getattr(args, opt) is None:
                    raise SystemExit(f'--{opt.replace("_", "-")} is needed '
                                     'by the linear / nn probes')
            train = pr.load_labelled_folder(args.train_images,
                                            args.train_labels, args.size,
                                            '--train-images')
            val = pr.load_labelled_folder(args.val_images, args.val_labels,
                                          args.size, '--val-images')
        photos = []
        if 'grouping' in probes:
            if not (args.grouping_images and args.grouping_gt):
                raise SystemExit('--probes grouping needs --grouping-images '
                                 'and --grouping-gt')
            photos = list_images(args.grouping_images, '--grouping-images')
            photos = photos[:args.grouping_limit]
        torch.manual_seed(args.seed)
        maps = pr.ModelMaps(args.config, args.checkpoint, args.device,
                            args.feature, args.stage, args.cfg_options)
        figures = pr.run_probes(maps, train, val, args.num_classes, ignore,
                                probes, photos, args.grouping_gt, args.ks,
                                progress=pr.print_progress)
    except (FileNotFoundError, ValueError) as exc:
        raise SystemExit(str(exc))
    for key, value in figures.items():
        print(f'{key} {value:.4f}' if isinstance(value, float)
              else f'{key} {value}')
    record = dict(figures, config=args.config, checkpoint=args.checkpoint,
                  random_init=args.random_init, feature=args.feature,
                  stage=args.stage, probes=list(probes),
                  ignore_index=ignore)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, 'w') as f:
        json.dump(record, f, indent=1)
    print(f'wrote {args.out}', file=sys.stderr)
    return 0


if __name__ == '__main__':
    sys.exit(main())
