#!/usr/bin/env python
"""Small data: DenseCL with the default queue (65536) vs the advised one.

The measured example of docs/users.md ("Small datasets"). A tiny labelled
set is cut from the packaged photos (each photo is a class; random crops
are its images; ImageFolder layout under OUT/data/{train,val}); DenseCL
(configs/densecl_r50_coco.py shrunk to ResNet-18 at 96 px) pre-trains on the
train crops, the same run (seed, data, iterations) once per queue length.
After each run a global k-NN probe (dense_ssl.evaluation.knn: train crops
labelled, val crops classified) measures the frozen backbone; the random
initialisation is probed too. Loss curves and probe results go to
OUT/small_data.json and OUT/small_data.png.

Example:
  python tools/benchmarks/bench_small_data.py --out work_dirs/small_data \\
      --iters 300 --queues 65536 32
"""
import argparse
import json
import os
import os.path as osp
import time

import cv2
import numpy as np

HERE = osp.dirname(osp.abspath(__file__))
ROOT = osp.dirname(osp.dirname(HERE))


def make_crops(out: str, per_class_train: int, per_class_val: int,
               size: int, seed: int = 0) -> None:
    """ImageFolder train/val sets: random crops (30-60 % of the short side,
    resized to ``size``) of each packaged photo, one class per photo."""
    from prepare_demo_data import demo_photos, quokka_path
    photos = dict(demo_photos())
    photos['quokka'] = cv2.imread(quokka_path())
    rng = np.random.default_rng(seed)
    for name, img in sorted(photos.items()):
        h, w = img.shape[:2]
        for split, n in (('train', per_class_train), ('val', per_class_val)):
            os.makedirs(osp.join(out, split, name), exist_ok=True)
            for i in range(n):
                s = int(min(h, w) * rng.uniform(0.3, 0.6))
                y, x = rng.integers(0, h - s + 1), rng.integers(0, w - s + 1)
                crop = cv2.resize(img[y:y + s, x:x + s], (size, size),
                                  interpolation=cv2.INTER_AREA)
                cv2.imwrite(osp.join(out, split, name, f'{i:03d}.png'), crop)


def build_cfg(data: str, work_dir: str, queue_len: int, iters: int,
              batch: int, size: int):
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'densecl_r50_coco.py'))
    cfg.model.queue_len = queue_len
    cfg.model.backbone.depth = 18
    cfg.model.neck.update(in_channels=512, hid_channels=256, out_channels=64)
    cfg.model.feat_dim = 64
    views = cfg.train_dataloader.dataset.pipeline[1].transforms[0]
    views[0].size = size  # RandomResizedCrop
    cfg.train_dataloader.update(
        batch_size=batch, num_workers=0, persistent_workers=False,
        sampler=dict(type='InfiniteSampler', shuffle=True))
    cfg.train_dataloader.dataset.update(
        data_root=osp.join(data, 'train'), ann_file='',
        data_prefix=dict(img_path=''))
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=iters)
    cfg.optim_wrapper.optimizer.lr = 0.03
    cfg.param_scheduler = []
    cfg.auto_scale_lr = None
    cfg.log_processor = dict(by_epoch=False, window_size=1)
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=5)
    cfg.default_hooks.checkpoint = dict(
        type='CheckpointHook', interval=iters, by_epoch=False)
    cfg.work_dir = work_dir
    # one per run: logger and visualizer instances are keyed by their names
    cfg.experiment_name = f'small_data_q{queue_len}_{os.getpid()}'
    cfg.visualizer.name = cfg.experiment_name
    cfg.randomness = dict(seed=0)
    return cfg


def probe(backbone, data: str, size: int, k: int) -> dict:
    from dense_ssl.evaluation.global_features import (extract_global_features,
                                                      image_folder)
    from dense_ssl.evaluation.knn import knn_scores, topk_accuracy
    kw = dict(mean=(123.675, 116.28, 103.53), std=(58.395, 57.12, 57.375),
              resize=size, crop=size, batch_size=32, log=lambda s: None)
    backbone.eval()
    tp, tl, classes = image_folder(osp.join(data, 'train'))
    vp, vl, _ = image_folder(osp.join(data, 'val'))
    train = extract_global_features(backbone, tp, **kw)
    val = extract_global_features(backbone, vp, **kw)
    return topk_accuracy(knn_scores(train, tl, val, len(classes), k=k), vl,
                         topk=(1, ))


def read_losses(work_dir: str) -> dict:
    import glob
    path, = glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))
    curves = {'step': [], 'loss': [], 'loss_single': [], 'loss_dense': []}
    with open(path) as f:
        for line in f:
            row = json.loads(line)
            if 'loss' in row:
                for key in curves:
                    curves[key].append(row[key])
    return curves


def plot(result: dict, path: str) -> None:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 3, figsize=(14, 4))
    for q, run in result['runs'].items():
        c = run['losses']
        axes[0].plot(c['step'], c['loss_single'], label=f'queue_len={q}')
        axes[1].plot(c['step'], c['loss_dense'], label=f'queue_len={q}')
    for ax, name in zip(axes[:2], ('global', 'dense')):
        ax.set(xlabel='iteration', ylabel=f'{name} InfoNCE term',
               title=f'{name} loss, {result["num_images"]} images, '
                     f'batch {result["batch"]}')
        ax.legend()
    names = ['random init'] + [f'queue {q}' for q in result['runs']]
    accs = [result['random_init_knn']['top1']] + [
        r['knn']['top1'] for r in result['runs'].values()]
    bars = axes[2].bar(names, accs, color=['grey', 'C0', 'C1', 'C2'][
        :len(names)])
    axes[2].bar_label(bars, fmt='%.1f')
    axes[2].axhline(100 / result['num_classes'], ls='--', c='k', lw=0.8)
    axes[2].set(ylabel='k-NN top-1 (%)', ylim=(0, 100),
                title=f'k-NN probe (k={result["k"]}), '
                      f'{result["num_classes"]} classes, dashed: chance')
    fig.tight_layout()
    fig.savefig(path, dpi=80)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n', 1)[0],
        epilog=__doc__.split('\n', 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--out', default='work_dirs/small_data')
    parser.add_argument('--iters', type=int, default=300)
    parser.add_argument('--queues', type=int, nargs='+',
                        default=[65536, 32])
    parser.add_argument('--batch', type=int, default=16)
    parser.add_argument('--size', type=int, default=96)
    parser.add_argument('--per-class', type=int, default=8,
                        help='training crops per photo (class)')
    parser.add_argument('--k', type=int, default=5)
    args = parser.parse_args(argv)
    import dense_ssl  # noqa: F401
    from mmengine.runner import Runner
    data = osp.join(args.out, 'data')
    if not osp.isdir(data):
        make_crops(data, args.per_class, 4, args.size)
    from dense_ssl.evaluation.global_features import image_folder
    paths, _, classes = image_folder(osp.join(data, 'train'))
    result = dict(num_images=len(paths), num_classes=len(classes),
                  batch=args.batch, iters=args.iters, size=args.size,
                  k=args.k, runs={})
    json_path = osp.join(args.out, 'small_data.json')
    for q in args.queues:
        t0 = time.time()
        cfg = build_cfg(data, osp.join(args.out, f'queue_{q}'), q,
                        args.iters, args.batch, args.size)
        runner = Runner.from_cfg(cfg)
        if 'random_init_knn' not in result:
            runner.model.init_weights()
            result['random_init_knn'] = probe(runner.model.backbone, data,
                                              args.size, args.k)
            print('random init k-NN', result['random_init_knn'], flush=True)
        runner.train()
        result['runs'][q] = dict(
            losses=read_losses(cfg.work_dir),
            knn=probe(runner.model.backbone, data, args.size, args.k),
            seconds=round(time.time() - t0, 1))
        print(f'queue {q}: k-NN {result["runs"][q]["knn"]}, '
              f'{result["runs"][q]["seconds"]} s', flush=True)
        with open(json_path, 'w') as f:  # partial results after each run
            json.dump(result, f, indent=1)
    plot(result, osp.join(args.out, 'small_data.png'))
    print(f'wrote {json_path} and {osp.join(args.out, "small_data.png")}')
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
