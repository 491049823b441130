#!/usr/bin/env python
"""k-NN classification on frozen global features of a pre-trained backbone.

The weighted k-NN of InstDisc / DINO (cosine similarity, votes
exp(s / T), T = 0.07): every image of an image-folder set
(ROOT/<class>/<image>, torchvision's ImageFolder layout) is resized to short
side 256, centre-cropped to 224, and its last backbone map average-pooled;
each validation image takes the weighted vote of its k nearest training
images. Without --val, leave-one-out on --train.

Example:
  python tools/knn_eval.py configs/densecl_r50_coco.py \\
      --checkpoint work_dirs/densecl_r50_coco/epoch_800.pth \\
      --train data/imagenet/train --val data/imagenet/val --k 10 20 200
"""
import argparse
import json
import os.path as osp
import sys


from dense_ssl.applications.embedding import DenseEmbedder
from dense_ssl.evaluation.global_features import (extract_global_features,
                                                  image_folder)
from dense_ssl.evaluation.knn import knn_scores, topk_accuracy


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n', 1)[0],
        epilog=__doc__.split('\n', 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', help='model config (training config)')
    parser.add_argument('--checkpoint', help='pre-training checkpoint or '
                        'exported backbone (.pth); none: random init')
    parser.add_argument('--train', required=True,
                        help='labelled image folder (ROOT/<class>/<image>)')
    parser.add_argument('--val', help='image folder to classify, with the '
                        "same class folders; default: leave-one-out on "
                        '--train')
    parser.add_argument('--k', type=int, nargs='+', default=[20],
                        help='neighbours (several: one result each; '
                        'default: 20)')
    parser.add_argument('--temperature', type=float, default=0.07)
    parser.add_argument('--resize', type=int, default=256,
                        help='short side before the centre crop')
    parser.add_argument('--crop', type=int, default=224)
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--out', help='write the results as json here')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if not osp.isfile(args.config):
        raise SystemExit(f'config {args.config}: no such file')
    try:
        train_paths, train_labels, classes = image_folder(args.train)
        if args.val:
            val_paths, val_labels, val_classes = image_folder(args.val)
            if val_classes != classes:
                raise SystemExit(
                    f'--val {args.val}: class folders {val_classes} differ '
                    f'from those of --train {args.train}: {classes}')
        embedder = DenseEmbedder(args.config, args.checkpoint, args.device,
                                 feature='backbone')
    except (FileNotFoundError, ValueError) as exc:
        raise SystemExit(str(exc))
    kw = dict(mean=embedder.mean.flatten().tolist(),
              std=embedder.std.flatten().tolist(), resize=args.resize,
              crop=args.crop, batch_size=args.batch_size, device=args.device)
    backbone = embedder.model.backbone
    print(f'{len(train_paths)} training images, {len(classes)} classes')
    train = extract_global_features(backbone, train_paths, **kw)
    if args.val:
        query, query_labels = extract_global_features(
            backbone, val_paths, **kw), val_labels
    else:
        query, query_labels = train, train_labels
    results = {}
    for k in args.k:
        scores = knn_scores(train, train_labels, query, len(classes), k=k,
                            temperature=args.temperature,
                            exclude_self=not args.val)
        acc = topk_accuracy(scores, query_labels)
        results[f'k={k}'] = acc
        print(f'k-NN k={k} T={args.temperature}: ' + ', '.join(
            f'{name} {v:.2f}%' for name, v in acc.items()))
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(dict(config=args.config, checkpoint=args.checkpoint,
                           train=args.train, val=args.val,
                           num_train=len(train_paths),
                           num_query=int(query.size(0)),
                           temperature=args.temperature, results=results),
                      f, indent=1)
    return 0


if __name__ == '__main__':
    sys.exit(main())
