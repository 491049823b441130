#!/usr/bin/env python
"""Picture of a dense embedding: PCA to 3 components shown as RGB (HG Fig. 2).

Each photo is embedded by the model (the HG hypercolumn, stride 4, when the
model has one; else, or with --feature backbone, the last backbone map); one
PCA is fitted over the cells of all given photos, its first 3 components are
scaled jointly to colours and upsampled to the photo. A row per photo:
photo | trained embedding (with --checkpoint) | random initialisation (with
--random-init: the untrained contrast, same config, seed 0).

Example:
  python tools/visualize_embedding.py configs/demo/hiergroup_demo.py \\
      --checkpoint work_dirs/demo/hiergroup/iter_20.pth --random-init \\
      --images data/demo_photos --out work_dirs/demo/embedding.png
"""
import argparse
import os
import os.path as osp
import sys

import torch

from dense_ssl.applications import image_io
from dense_ssl.applications.embedding import DenseEmbedder, add_embedder_args
from dense_ssl.applications.embedding_pca import embeddings_to_rgb


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n', 1)[0],
        epilog=__doc__.split('\n', 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    add_embedder_args(parser)  # config, --checkpoint, --feature, --device
    parser.add_argument('--images', nargs='+', required=True,
                        help='photos, or folders of photos')
    parser.add_argument('--out', required=True, help='PNG to write')
    parser.add_argument('--random-init', action='store_true',
                        help='add the embedding of the randomly initialised '
                        'model (torch seed 0) as a column')
    parser.add_argument('--max-side', type=int, default=320,
                        help='photos are resized to this long side first')
    parser.add_argument('--max-images', type=int, default=8,
                        help='rows of the picture (default: 8)')
    return parser.parse_args(argv)


def read_photos(items, max_side, limit):
    import cv2
    paths = []
    for item in items:
        if osp.isdir(item):
            paths += image_io.list_images(item, '--images')
        elif osp.isfile(item):
            paths.append(item)
        else:
            raise SystemExit(f'--images {item}: no such file or folder')
    photos = []
    for path in paths[:limit]:
        img = image_io.read_rgb(path)
        scale = max_side / max(img.shape[:2])
        if scale < 1:
            img = cv2.resize(img, None, fx=scale, fy=scale,
                             interpolation=cv2.INTER_AREA)
        photos.append((image_io.stem(path), img))
    return photos


def embed_all(embedder, photos):
    embs, strides = [], []
    for _, img in photos:
        emb, stride = embedder(img)
        embs.append(emb)
        strides.append(stride)
    return embs, strides


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.checkpoint is None and not args.random_init:
        raise SystemExit('give --checkpoint, --random-init or both')
    if not osp.isfile(args.config):
        raise SystemExit(f'config {args.config}: no such file')
    photos = read_photos(args.images, args.max_side, args.max_images)
    sizes = [img.shape[:2] for _, img in photos]
    columns = []
    try:
        if args.checkpoint:
            model = DenseEmbedder(args.config, args.checkpoint, args.device,
                                  args.feature)
            columns.append(('trained: ' + osp.basename(args.checkpoint),
                            *embed_all(model, photos)))
        if args.random_init:
            torch.manual_seed(0)
            model = DenseEmbedder(args.config, None, args.device,
                                  args.feature)
            columns.append(('random init', *embed_all(model, photos)))
    except (FileNotFoundError, ValueError) as exc:
        raise SystemExit(str(exc))
    pictures = []
    for title, embs, strides in columns:
        rgb, ratio = embeddings_to_rgb(embs, strides, sizes)
        dim = embs[0].shape[0]
        pictures.append((f'{title}\n{dim}-d, stride {strides[0]}, PCA '
                         f'{100 * ratio.sum():.0f}% of variance', rgb))
        print(f'{title}: {dim}-d embedding, stride {strides[0]}; the 3 '
              f'components explain {100 * ratio.sum():.1f}% of its variance')
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    n_rows, n_cols = len(photos), 1 + len(pictures)
    fig, axes = plt.subplots(n_rows, n_cols, squeeze=False,
                             figsize=(3.2 * n_cols, 2.6 * n_rows))
    for r, (name, img) in enumerate(photos):
        axes[r, 0].imshow(img)
        axes[r, 0].set_title(name if r else f'photo\n{name}', fontsize=9)
        for c, (title, rgb) in enumerate(pictures, start=1):
            axes[r, c].imshow(rgb[r])
            if r == 0:
                axes[r, c].set_title(title, fontsize=9)
    for ax in axes.flat:
        ax.axis('off')
    fig.tight_layout()
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    fig.savefig(args.out, dpi=72)
    print(f'wrote {args.out} ({n_rows} photos)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
