"""Throughput of the HG data pipeline: two views with their region maps.

Times one process (= one dataloader worker) over real photos and their
hierarchy store, stage by stage: image decoding, reading the hierarchy
(store read, LZMA decode, distance matrix), the two geometric views (one crop
+ resize per view for the image and the region map), colour jitter +
grayscale, packing. Variants run interleaved (one image of each in turn), so
load from other processes hits them alike:

* ``hg``: the HG pipeline of the configs;
* ``hg full-size maps``: the region map upsampled to the image size when loaded
  (what ``HierarchyStore.get`` returns) instead of read through the crop;
* ``mocov2 (no maps)``: MMSelfSup's MultiView + RandomResizedCrop MoCo-v2
  pipeline without blur (the DenseCL configs' pipeline minus blur), as a
  reference for what the region maps cost.

Without ``--images``/``--store`` the packaged photos are written to a temporary
folder and their store is built with ``tools/build_hierarchy.py``.

Example::

    .venv/bin/python tools/benchmarks/bench_hg_data.py --rounds 20
"""
import argparse
import os.path as osp
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = osp.dirname(osp.abspath(__file__))
ROOT = osp.dirname(osp.dirname(HERE))

JITTER = [
    dict(type='RandomApply', prob=0.8, transforms=[dict(
        type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4,
        hue=0.1)]),
    dict(type='RandomGrayscale', prob=0.2, keep_channels=True,
         channel_weights=(0.114, 0.587, 0.2989)),
]


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split('\n', 2)[2])
    p.add_argument('--images', help='image folder (default: packaged photos)')
    p.add_argument('--store', help='its hierarchy store (built if omitted)')
    p.add_argument('--size', type=int, default=224, help='view size, px')
    p.add_argument('--rounds', type=int, default=10,
                   help='passes over the images per variant (timed)')
    p.add_argument('--warmup', type=int, default=1, help='untimed passes')
    p.add_argument('--seed', type=int, default=0)
    return p.parse_args(argv)


def prepare(args):
    if args.images and args.store:
        return args.images, args.store
    if args.images or args.store:
        sys.exit('give both --images and --store, or neither')
    tmp = tempfile.mkdtemp(prefix='bench_hg_data_')
    images, store = osp.join(tmp, 'photos'), osp.join(tmp, 'store')
    print(f'writing the packaged photos and their store to {tmp} ...',
          flush=True)
    for cmd in ([sys.executable, osp.join(ROOT, 'tools', 'prepare_demo_data.py'),
                 '--out', images],
                [sys.executable, osp.join(ROOT, 'tools', 'build_hierarchy.py'),
                 images, '--out', store, '--no-progress']):
        subprocess.run(cmd, check=True, cwd=ROOT)
    return images, store


def build_stages(size):
    """name -> (list of (stage name, transform)) for every variant."""
    from dense_ssl.registry import TRANSFORMS
    b = TRANSFORMS.build
    crop = dict(type='HGRandomResizedCropFlip', size=size, scale=(0.2, 1.))
    views = lambda extra: b(dict(type='HGMultiView', num_views=2,  # noqa
                                 transforms=[crop] + extra))
    hg = [('decode', b(dict(type='LoadImageOrSkip'))),
          ('hierarchy', b(dict(type='HGLoadHierarchy'))),
          ('2 views: geometry', views([])),
          ('2 views: geometry+colour', views(JITTER)),
          ('pack', b(dict(type='PackHGInputs')))]
    full = list(hg)
    full[1] = ('hierarchy', b(dict(type='HGLoadHierarchy', full_size=True)))
    moco_view = [dict(type='RandomResizedCrop', size=size, scale=(0.2, 1.),
                      backend='pillow')] + JITTER + [
                          dict(type='RandomFlip', prob=0.5)]
    moco = [('decode', b(dict(type='LoadImageOrSkip'))),
            ('2 views: geometry+colour', b(dict(
                type='MultiView', num_views=2, transforms=[moco_view]))),
            ('pack', b(dict(type='PackSelfSupInputs', meta_keys=['img_path'])))]
    return {'hg': hg, 'hg full-size maps': full, 'mocov2 (no maps)': moco}


def run_one(stages, info, times):
    results = dict(info)
    c0 = time.process_time()
    for name, t in stages:
        if name == '2 views: geometry':
            # timed alone for the breakdown; the pipeline goes on with the
            # full per-view pipeline below
            t0 = time.perf_counter()
            t(dict(results))
            times.setdefault(name, []).append(time.perf_counter() - t0)
            continue
        t0 = time.perf_counter()
        results = t(results)
        times.setdefault(name, []).append(time.perf_counter() - t0)
    # CPU time of the whole pipeline (the stand-alone geometry pass included,
    # subtracted below): steadier than wall time on a shared machine
    times.setdefault('cpu', []).append(time.process_time() - c0)


def main(argv=None):
    args = parse_args(argv)
    images, store = prepare(args)
    import cv2
    cv2.setNumThreads(0)  # as mmengine's dataloader workers (one core each)
    import dense_ssl  # noqa: F401
    from mmengine.registry import DefaultScope
    from dense_ssl.datasets import HierarchyDataset
    DefaultScope.get_instance('bench_hg_data', scope_name='dense_ssl')
    ds = HierarchyDataset(store=store, data_prefix=dict(img_path=images),
                          pipeline=[])
    infos = [ds.get_data_info(i) for i in range(len(ds))]
    variants = build_stages(args.size)
    np.random.seed(args.seed)
    times = {v: {} for v in variants}
    for r in range(args.warmup + args.rounds):
        for k, info in enumerate(infos):
            order = list(variants)
            order = order[(r + k) % len(order):] + order[:(r + k) % len(order)]
            for v in order:
                tt = times[v] if r >= args.warmup else {}
                run_one(variants[v], info, tt)
    shapes = sorted({f'{i["img_path"]}' for i in infos})
    print(f'\n{len(shapes)} images ({images}), {args.rounds} rounds, '
          f'views {args.size} px, one process, cv2 threads 0\n')
    stages = ['decode', 'hierarchy', '2 views: geometry',
              '2 views: geometry+colour', 'pack']
    head = f'{"variant":<20}' + ''.join(f'{s:>26}' for s in stages) + \
        f'{"total ms/img":>14}{"img/s/worker":>14}{"CPU ms/img":>12}'
    print(head)
    print('-' * len(head))
    totals = {}
    for v, tt in times.items():
        med = {s: statistics.median(tt[s]) * 1e3 for s in tt}
        total = sum(statistics.mean(tt[s]) for s in tt
                    if s not in ('2 views: geometry', 'cpu')) * 1e3
        cpu = statistics.mean(tt['cpu']) * 1e3 - (
            statistics.mean(tt['2 views: geometry']) * 1e3
            if '2 views: geometry' in tt else 0)
        totals[v] = total
        row = f'{v:<20}' + ''.join(
            f'{med[s]:>26.2f}' if s in med else f'{"-":>26}' for s in stages)
        print(row + f'{total:>14.2f}{1e3 / total:>14.1f}{cpu:>12.2f}')
    print('\n(stage columns: median ms per image; "geometry" is timed alone, '
          'inside "geometry+colour"; total: mean wall ms per image of the '
          'whole pipeline; CPU: mean CPU ms per image)')
    base = totals['mocov2 (no maps)']
    for v in ('hg', 'hg full-size maps'):
        print(f'{v}: {totals[v] / base:.2f}x the time of the MoCo-v2 '
              'pipeline without region maps')


if __name__ == '__main__':
    main()
