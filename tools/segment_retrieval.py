"""Semantic segment retrieval with a pre-trained dense embedding (HG Table 2).

Database images (with label PNGs) and query images (with label PNGs) are
embedded by the model; each image is partitioned into segments (K-means with
K=15 on its embedding, as the paper, or the segment PNGs you give); every
query segment takes the label of its nearest database segment (mean
embedding, cosine similarity) or the majority of its k nearest; the mIoU of
the painted query predictions over all query images is printed. See
:mod:`dense_ssl.applications.segment_retrieval` for the protocol.

Examples::

    # PASCAL VOC: train_aug as database, val as queries (as HG Table 2)
    .venv/bin/python tools/segment_retrieval.py \
        configs/hiergroup_r50_voc-400e.py \
        --checkpoint work_dirs/hiergroup_r50_voc-400e/epoch_400.pth \
        --db-images data/voc_trainaug/JPEGImages \
        --db-labels data/voc_trainaug/SegmentationClassAug \
        --query-images data/voc_val/JPEGImages \
        --query-labels data/voc_val/SegmentationClass
    # ground-truth regions or a HierarchyStore cut as segments instead
    ... --db-segments my_db_segments --query-segments my_query_segments

Label PNGs hold class indices (VOC palette PNGs are read as indices; 255 is
ignored); images and PNGs are paired by file name.
"""
import argparse
import os
from typing import List, Optional, Tuple

import numpy as np
import torch


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    from dense_ssl.applications.embedding import add_embedder_args
    p = argparse.ArgumentParser(
        description='Segment retrieval mIoU of a dense embedding (HG sec. '
        '5.2): K-means segments, nearest database segment labels.',
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    add_embedder_args(p)  # config, --checkpoint, --feature, --device
    p.add_argument('--db-images', required=True,
                   help='folder of database images')
    p.add_argument('--db-labels', required=True,
                   help='folder of their label PNGs (class indices)')
    p.add_argument('--query-images', required=True,
                   help='folder of query images')
    p.add_argument('--query-labels', required=True,
                   help='folder of their label PNGs (for the mIoU)')
    p.add_argument('--db-segments', help='folder of segment-id PNGs for the '
                   'database images (default: K-means on the embedding)')
    p.add_argument('--query-segments', help='same for the query images')
    p.add_argument('--num-segments', type=int, default=15,
                   help='K of the K-means partition (paper: 15)')
    p.add_argument('--knn', type=int, default=1,
                   help='database segments voting per query segment')
    p.add_argument('--num-classes', type=int, default=21,
                   help='classes of the label PNGs (VOC: 21 with background)')
    p.add_argument('--ignore-index', type=int, default=255,
                   help='label value left out of the mIoU and the votes')
    p.add_argument('--out', help='folder to write the query predictions '
                   '(palette PNGs)')
    p.add_argument('--seed', type=int, default=0, help='K-means seed')
    return p.parse_args(argv)


def image_segments(embedder, path: str, labels_dir: str, label_opt: str,
                   segments_dir: Optional[str], seg_opt: str, k: int,
                   gen: torch.Generator) -> Tuple[torch.Tensor, torch.Tensor,
                                                  torch.Tensor]:
    """(per-pixel embedding, segment map, label map) of one image."""
    from dense_ssl.applications import image_io
    from dense_ssl.applications.embedding import upsample_embedding
    from dense_ssl.applications.segment_retrieval import kmeans_segments
    name = image_io.stem(path)
    img = image_io.read_rgb(path)
    gt = image_io.read_index_png(
        image_io.matching_file(labels_dir, name, label_opt))
    if gt.shape != img.shape[:2]:
        raise ValueError(f'{label_opt}: {name}.png is {gt.shape}, the image '
                         f'{path} is {img.shape[:2]}')
    emb, stride = embedder(img)
    emb = upsample_embedding(emb, stride, img.shape[:2])
    if segments_dir:
        seg = image_io.read_index_png(
            image_io.matching_file(segments_dir, name, seg_opt))
        if seg.shape != gt.shape:
            raise ValueError(f'{seg_opt}: {name}.png is {seg.shape}, the '
                             f'image is {gt.shape}')
        seg = torch.from_numpy(seg)
    else:
        seg = kmeans_segments(emb, k, generator=gen)
    return emb, seg, torch.from_numpy(gt)


def main(argv: Optional[List[str]] = None) -> dict:
    args = parse_args(argv)
    from mmengine.utils import ProgressBar

    from dense_ssl.applications import image_io
    from dense_ssl.applications.embedding import embedder_from_args
    from dense_ssl.applications.metrics import (confusion_matrix,
                                                iou_from_confusion)
    from dense_ssl.applications.segment_retrieval import (SegmentBank,
                                                          bank_from_image,
                                                          predict_image)
    try:
        db_files = image_io.list_images(args.db_images, '--db-images')
        q_files = image_io.list_images(args.query_images, '--query-images')
    except (FileNotFoundError, ValueError) as exc:
        raise SystemExit(str(exc))
    embedder = embedder_from_args(args)
    gen = torch.Generator().manual_seed(args.seed)
    try:
        print(f'database: {len(db_files)} images')
        bar = ProgressBar(len(db_files))
        parts = []
        for path in db_files:
            emb, seg, gt = image_segments(embedder, path, args.db_labels,
                                          '--db-labels', args.db_segments,
                                          '--db-segments', args.num_segments,
                                          gen)
            parts.append(bank_from_image(emb, seg, gt, args.num_classes,
                                         args.ignore_index))
            bar.update()
        bank = SegmentBank.concat(parts)
        print(f'\n{len(bank.labels)} labelled database segments; '
              f'queries: {len(q_files)} images')
        if args.out:
            os.makedirs(args.out, exist_ok=True)
        conf = np.zeros((args.num_classes, ) * 2, np.int64)
        bar = ProgressBar(len(q_files))
        for path in q_files:
            emb, seg, gt = image_segments(embedder, path, args.query_labels,
                                          '--query-labels',
                                          args.query_segments,
                                          '--query-segments',
                                          args.num_segments, gen)
            pred = predict_image(emb, seg, bank, args.num_classes,
                                 args.knn).numpy()
            conf += confusion_matrix(pred, gt.numpy(), args.num_classes,
                                     args.ignore_index)
            if args.out:
                image_io.write_index_png(
                    os.path.join(args.out, image_io.stem(path) + '.png'),
                    pred)
            bar.update()
    except (FileNotFoundError, ValueError) as exc:
        raise SystemExit(f'\n{exc}')
    res = iou_from_confusion(conf)
    print('\nper-class IoU (%):')
    for c, iou in enumerate(res['iou']):
        if not np.isnan(iou):
            print(f'  class {c:3d}: {100 * iou:6.2f}')
    print(f'mIoU: {100 * res["miou"]:.2f}  pixel accuracy: '
          f'{100 * res["acc"]:.2f}  ({len(q_files)} query images, '
          f'{len(bank.labels)} database segments, k={args.knn})')
    return res


if __name__ == '__main__':
    main()
