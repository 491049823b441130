"""CPU time per two-view sample: our data pipelines against MMSelfSup's MoCo-v2.

One process (= one dataloader worker, OpenCV on one thread), the variants
interleaved image by image in rotating order, CPU time of the calling thread
(steadier than wall time on a shared machine). Variants:

* ``mmselfsup mocov2``: MMSelfSup 1.0.0's own MoCo-v2 ``train_pipeline``,
  read from its installed config (the pipeline its DenseCL config uses);
* ``ours densecl (shipped)``: ``configs/_base_/datasets/mocov2_pipeline.py``
  (DenseCL / MoCo-v2 configs);
* ``ours densecl (per-view)``: the same augmentations through ``MultiView``
  of ``view_pipeline`` (what a config with its own per-view steps gets);
* ``ours hg (shipped)`` / ``ours hg (mmselfsup colour)``: the HG pipeline of
  ``hiergroup_pipeline.py``, and the same with MMSelfSup's colour transforms
  (with ``--hg``: the store is built first with the gradient detector).

Without ``--images`` the packaged photos are written as COCO-sized JPEGs
(640 x 480 / 480 x 640, quality 90) to a temporary folder.

Example (the numbers in docs/data_pipeline.md)::

    .venv/bin/python tools/benchmarks/bench_data.py --rounds 10 --hg
"""
import argparse
import glob
import os.path as osp
import subprocess
import sys
import tempfile

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
REFERENCE = 'mmselfsup mocov2'


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split('\n', 2)[2])
    p.add_argument('--images', help='folder of JPEGs (default: the packaged '
                   'photos saved COCO-sized in a temporary folder)')
    p.add_argument('--rounds', type=int, default=10,
                   help='timed passes over the images')
    p.add_argument('--warmup', type=int, default=1, help='untimed passes')
    p.add_argument('--hg', action='store_true',
                   help='also time the HG pipelines (builds a store)')
    p.add_argument('--gpu-rate', type=float, default=1000.0,
                   help='two-view samples/s one GPU trains on, for the '
                   'workers column (default 1000: issue 13\'s "well over a '
                   'thousand images per second" for R50 DenseCL, AMP, on one '
                   'H200; tools/benchmarks/gpu_check.sh measures it)')
    p.add_argument('--seed', type=int, default=0)
    return p.parse_args(argv)


def prepare_images(args):
    from dense_ssl.benchmarks.data_pipeline import write_coco_sized
    if args.images:
        paths = sorted(glob.glob(osp.join(args.images, '*.jp*g')))
        if not paths:
            sys.exit(f'error: no .jpg / .jpeg in --images {args.images}')
        return paths
    tmp = tempfile.mkdtemp(prefix='bench_data_')
    src = osp.join(tmp, 'photos')
    subprocess.run([sys.executable, osp.join(ROOT, 'tools',
                                             'prepare_demo_data.py'),
                    '--out', src], check=True, cwd=ROOT)
    paths = write_coco_sized(sorted(glob.glob(osp.join(src, '*.jpg'))),
                             osp.join(tmp, 'coco'))
    print(f'{len(paths)} COCO-sized JPEGs in {osp.join(tmp, "coco")}',
          flush=True)
    return paths


def build_hg_store(paths):
    from dense_ssl.grouping.build import build_store, list_folder_images
    from dense_ssl.grouping.hierarchy import HierarchyBuilder
    folder = osp.dirname(paths[0])
    store = tempfile.mkdtemp(prefix='bench_data_store_')
    print(f'building the HG store of {folder} in {store} (gradient edges) ...',
          flush=True)
    build_store(list_folder_images(folder), store,
                HierarchyBuilder('gradient'), progress=False)
    return folder, store


def progress(done, total):
    if done % max(1, total // 10) == 0 or done == total:
        print(f'  {done}/{total} images ({100 * done // total} %)', flush=True)


def main(argv=None):
    args = parse_args(argv)
    import cv2
    import numpy as np
    cv2.setNumThreads(0)  # as in mmengine's dataloader workers
    from dense_ssl.benchmarks import data_pipeline as dp
    paths = prepare_images(args)
    variants = {
        REFERENCE: dp.build_stages(dp.mmselfsup_mocov2_pipeline()),
        'ours densecl (shipped)': dp.build_stages(
            dp.our_pipeline('mocov2_pipeline.py')),
        'ours densecl (per-view)': dp.build_stages(
            dp.our_per_view_pipeline('mocov2_pipeline.py')),
    }
    infos = {v: [dict(img_path=p) for p in paths] for v in variants}
    if args.hg:
        from dense_ssl.datasets import HierarchyDataset
        folder, store = build_hg_store(paths)
        ds = HierarchyDataset(store=store, data_prefix=dict(img_path=folder),
                              pipeline=[])
        hg_infos = [ds.get_data_info(i) for i in range(len(ds))]
        variants['ours hg (shipped)'] = dp.build_stages(
            dp.our_pipeline('hiergroup_pipeline.py'))
        variants['ours hg (mmselfsup colour)'] = dp.build_stages(
            dp.hg_pipeline_mmselfsup_colour())
        infos.update({v: hg_infos for v in variants if ' hg ' in v})
    np.random.seed(args.seed)
    import random
    random.seed(args.seed)
    import warnings
    warnings.filterwarnings('ignore', message="Only use 'alpha'")
    print(f'timing {len(variants)} pipelines on {len(paths)} images, '
          f'{args.rounds} rounds (+{args.warmup} warm-up) ...', flush=True)
    times = dp.time_pipelines(variants, infos, args.rounds, args.warmup,
                              progress=progress)
    rows = dp.summarise(times, REFERENCE, args.gpu_rate)
    print()
    print(dp.format_table(rows, REFERENCE, args.gpu_rate))
    return 0


if __name__ == '__main__':
    sys.exit(main())
