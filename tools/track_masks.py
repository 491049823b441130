"""Propagate a first-frame instance mask through a video (HG Table 3).

Each frame is embedded by the model; every pixel of frame t takes the
softmax-weighted labels of its 10 most similar pixels (cosine + a spatial
term) in the first frame and in the 2 previous frames (see
:mod:`dense_ssl.applications.mask_tracking`). Writes one palette PNG per
frame and, when ground-truth masks are given, prints the DAVIS region
similarity J and contour accuracy F (means over objects and frames; the
first and last frames are left out, as the DAVIS 2017 evaluation does).

Example (one DAVIS-2017 val sequence)::

    .venv/bin/python tools/track_masks.py configs/hiergroup_r50_voc-coco.py \
        --checkpoint work_dirs/hiergroup_r50_voc-coco/epoch_80.pth \
        --frames DAVIS/JPEGImages/480p/bike-packing \
        --first-mask DAVIS/Annotations/480p/bike-packing/00000.png \
        --gt DAVIS/Annotations/480p/bike-packing --out results/bike-packing

Masks are palette (or grey) PNGs of instance ids, 0 = background.
"""
import argparse
import os
from typing import List, Optional

import numpy as np
import torch


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    from dense_ssl.applications.embedding import add_embedder_args
    p = argparse.ArgumentParser(
        description='Instance mask propagation by embedding similarity '
        '(HG sec. 5.3), with DAVIS J and F when ground truth is given.',
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    # config, --checkpoint, --feature, --device
    add_embedder_args(p, device_help='torch device of the model and the '
                      'matching (e.g. cuda:0)')
    p.add_argument('--frames', required=True,
                   help='folder of the frames (sorted by file name)')
    p.add_argument('--first-mask', required=True,
                   help='instance-id PNG of the first frame')
    p.add_argument('--out', required=True,
                   help='folder for the propagated masks (PNG per frame)')
    p.add_argument('--gt', help='folder of ground-truth PNGs named as the '
                   'frames: print J and F')
    p.add_argument('--topk', type=int, default=10,
                   help='neighbours per reference frame (paper: 10)')
    p.add_argument('--num-prev', type=int, default=2,
                   help='previous frames used as references (paper: 2)')
    p.add_argument('--no-first', action='store_true',
                   help='do not keep the first frame as a reference')
    p.add_argument('--soft', action='store_true',
                   help='feed back soft predictions instead of one-hot')
    p.add_argument('--temperature', type=float, default=0.05,
                   help='softmax temperature on the neighbour scores')
    p.add_argument('--spatial-weight', type=float, default=1.0,
                   help='weight of the squared pixel distance (units of '
                   'the frame\'s longer side) subtracted from the cosine')
    p.add_argument('--radius', type=float, help='only match reference '
                   'pixels within this many embedding cells')
    return p.parse_args(argv)


def evaluate(preds: List[np.ndarray], gts: List[np.ndarray],
             ids: List[int]) -> dict:
    """Mean J and F per object over the frames 1 .. N-2 (DAVIS)."""
    from dense_ssl.applications.metrics import (boundary_f_measure,
                                                region_similarity)
    frames = range(1, len(preds) - 1) if len(preds) > 2 else range(
        1, len(preds))
    per_obj = {}
    for i in ids:
        j = [region_similarity(preds[t] == i, gts[t] == i) for t in frames]
        f = [boundary_f_measure(preds[t] == i, gts[t] == i) for t in frames]
        per_obj[i] = (float(np.mean(j)), float(np.mean(f)))
    j_mean = float(np.mean([v[0] for v in per_obj.values()]))
    f_mean = float(np.mean([v[1] for v in per_obj.values()]))
    return dict(per_object=per_obj, J=j_mean, F=f_mean,
                JF=(j_mean + f_mean) / 2, frames=len(frames))


def main(argv: Optional[List[str]] = None) -> dict:
    args = parse_args(argv)
    import torch.nn.functional as F
    from mmengine.utils import ProgressBar

    from dense_ssl.applications import image_io
    from dense_ssl.applications.embedding import embedder_from_args
    from dense_ssl.applications.mask_tracking import MaskPropagator
    if not os.path.isfile(args.first_mask):
        raise SystemExit(f'--first-mask {args.first_mask}: no such file')
    try:
        frames = image_io.list_images(args.frames, '--frames')
    except (FileNotFoundError, ValueError) as exc:
        raise SystemExit(str(exc))
    embedder = embedder_from_args(args)
    if len(frames) < 2:
        raise SystemExit(f'--frames {args.frames}: need at least 2 frames')
    mask0 = image_io.read_index_png(args.first_mask)
    palette = image_io.read_palette(args.first_mask)
    first = image_io.read_rgb(frames[0])
    h, w = first.shape[:2]
    if mask0.shape != (h, w):
        raise SystemExit(f'--first-mask {args.first_mask} is {mask0.shape}, '
                         f'the frame {frames[0]} is {(h, w)}')
    ids = sorted(int(i) for i in np.unique(mask0) if i != 0)
    if not ids:
        raise SystemExit(f'--first-mask {args.first_mask}: no object (all 0)')
    emb, stride = embedder(first)
    # pad the mask to the cells' extent (background) so cells map 1:1
    ph, pw = emb.shape[1] * stride - h, emb.shape[2] * stride - w
    padded = F.pad(torch.from_numpy(mask0), (0, pw, 0, ph))
    dev = torch.device(args.device)  # the matching runs there too
    tracker = MaskPropagator(
        emb.to(dev), padded.to(dev), num_labels=int(mask0.max()) + 1,
        num_prev=args.num_prev, use_first=not args.no_first,
        hard=not args.soft, topk=args.topk, temperature=args.temperature,
        spatial_weight=args.spatial_weight, radius=args.radius)
    os.makedirs(args.out, exist_ok=True)
    preds = [mask0]
    image_io.write_index_png(
        os.path.join(args.out, image_io.stem(frames[0]) + '.png'), mask0,
        palette)
    print(f'{len(frames)} frames, objects {ids}, embedding '
          f'{tuple(emb.shape)} (stride {stride})')
    bar = ProgressBar(len(frames) - 1)
    for path in frames[1:]:
        img = image_io.read_rgb(path)
        if img.shape[:2] != (h, w):
            raise SystemExit(f'--frames: {path} is {img.shape[:2]}, the '
                             f'first frame is {(h, w)}')
        pred = tracker.step(embedder(img)[0].to(dev))[0]
        pred = pred[:h, :w].cpu().numpy()
        preds.append(pred)
        image_io.write_index_png(
            os.path.join(args.out, image_io.stem(path) + '.png'), pred,
            palette)
        bar.update()
    print(f'\nwrote {len(preds)} masks to {args.out}')
    if not args.gt:
        return dict(preds=preds)
    try:
        gts = [image_io.read_index_png(image_io.matching_file(
            args.gt, image_io.stem(p), '--gt')) for p in frames]
    except FileNotFoundError as exc:
        raise SystemExit(str(exc))
    res = evaluate(preds, gts, ids)
    for i, (j, f) in res['per_object'].items():
        print(f'  object {i}: J {100 * j:6.2f}  F {100 * f:6.2f}')
    print(f'J mean {100 * res["J"]:.2f}  F mean {100 * res["F"]:.2f}  '
          f'J&F {100 * res["JF"]:.2f}  ({res["frames"]} frames evaluated)')
    res['preds'] = preds
    return res


if __name__ == '__main__':
    main()
