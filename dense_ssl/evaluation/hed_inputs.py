"""HED's edge map and OWT-UCM inputs made from it, on BSDS500 (``bench_hed_inputs.py``).

A diagnosis, not a route: it separates what the HED weights give as a pixel map (the form of
HED's published figures) from what the trees lose or gain with each input.
"""
import os
import os.path as osp
from typing import List, Sequence

import numpy as np
import torch
from PIL import Image
from scipy.io import savemat

from dense_ssl.grouping.hed import HEDEdgeDetector
from dense_ssl.grouping.hierarchy import HierarchyBuilder, grouping_size
from dense_ssl.grouping.ucm import edge_nms
from dense_ssl.image_io import read_image

from .bsds import region_tree_to_ucm2
from .bsds_run import evaluate_folder, list_gt_ids, resize_map, save_pb_png

CAFFE_PAD = 34  # Caffe's conv1_1 pad 35 = 1 (of a 3x3 conv) + 34


def run_variants(bsds: str, split: str, limit: int, variants: Sequence[str], out: str,
                 max_regions: int = 128, nthresh: int = 99, workers: int = 2) -> List:
    """Write and benchmark every variant (see the tool's docstring); returns
    ``[(variant, BoundaryResult, RegionResult or None)]``. Files already written are kept."""
    gt_dir = osp.join(bsds, 'groundTruth', split)
    if not osp.isdir(gt_dir):
        raise FileNotFoundError(f'--bsds {bsds}: no groundTruth/{split} folder')
    ids = list_gt_ids(gt_dir)
    ids = ids[:limit] if limit else ids
    det = HEDEdgeDetector(num_threads=torch.get_num_threads())
    builder = HierarchyBuilder('gradient', max_regions=max_regions, long_side=320,
                               normalize='none')  # only its resize and tree steps are used
    cache = osp.join(out, 'cache')
    for d in [cache] + [osp.join(out, v) for v in variants]:
        os.makedirs(d, exist_ok=True)
    for n, image_id in enumerate(ids, 1):
        image = read_image(osp.join(bsds, 'images', split, image_id + '.jpg'))
        H, W = image.shape[:2]
        h, w = grouping_size(H, W, 320)
        cached = osp.join(cache, image_id + '.npz')
        if osp.isfile(cached):
            with np.load(cached) as z:
                full, small = z['full'], z['small']
        else:
            full, small = det(image), det(builder.resize(image))
            np.savez(cached, full=full, small=small)
        for v in variants:
            ext = '.png' if v.startswith('raw') else '.mat'
            path = osp.join(out, v, image_id + ext)
            if osp.isfile(path):
                continue
            if v == 'raw_nms':
                save_pb_png(edge_nms(full), path)
                continue
            if v == 'raw_nms_pad35':
                save_pb_png(edge_nms(det(image, pad=CAFFE_PAD)), path)
                continue
            if v == 'base':
                edges = small
            elif v == 'full2small':
                edges = resize_map(full, h, w)
            elif v == 'ms':
                edges = (small + resize_map(full, h, w)) / 2
            else:  # up15
                up = builder.resize(image)
                up = np.asarray(Image.fromarray(up).resize((round(w * 1.5), round(h * 1.5)),
                                                           Image.BILINEAR))
                edges = (small + resize_map(det(up), h, w)) / 2
            hier = builder.tree_from_edges(np.clip(edges, 0, 1), H, W).expand()
            savemat(path, {'ucm2': region_tree_to_ucm2(hier.labels, hier.dist)})
        print(f'\r{split}: {n}/{len(ids)} images', end='\n' if n == len(ids) else '',
              flush=True)
    rows = []
    for v in variants:
        bdry, reg = evaluate_folder(gt_dir, osp.join(out, 'eval_' + v),
                                    result_dir=osp.join(out, v), nthresh=nthresh,
                                    workers=workers, limit=len(ids), progress=False)
        rows.append((v, bdry, reg))
    return rows
