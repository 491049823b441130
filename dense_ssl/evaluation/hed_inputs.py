"""HED's edge map and OWT-UCM inputs made from it, on BSDS500 (``bench_hed_inputs.py``).

A diagnosis, not a route: it separates what the HED weights give as a pixel map (the form of
HED's published figures) from what the trees lose or gain with each input.
"""
import os
import os.path as osp
from typing import List, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from scipy.io import savemat

from dense_ssl.grouping.hed import HEDEdgeDetector
from dense_ssl.grouping.hierarchy import HierarchyBuilder, grouping_size
from dense_ssl.grouping.ucm import edge_nms
from dense_ssl.image_io import read_image

from .bsds import region_tree_to_ucm2
from .bsds_run import evaluate_folder, list_gt_ids


def resize_map(edges: np.ndarray, height: int, width: int) -> np.ndarray:
    """A float map at another size (bilinear, antialiased when shrinking)."""
    return np.asarray(Image.fromarray(np.asarray(edges, np.float32), mode='F').resize(
        (width, height), Image.BILINEAR))


@torch.inference_mode()
def hed_caffe_padded(det: HEDEdgeDetector, image: np.ndarray, pad: int = 34) -> np.ndarray:
    """HED with the input zero-padded by ``pad`` (Caffe's ``conv1_1`` pad 35 = 1 + 34) and
    the upsampled side outputs cropped back: the released Caffe model's layout."""
    x = det._input(image)[None]
    h, w = x.shape[-2:]
    x = F.pad(x, (pad, pad, pad, pad))  # 0 after mean subtraction = the mean colour
    size = x.shape[-2:]
    sides = []
    for i, (convs, dsn) in enumerate(zip(det.net.blocks, det.net.dsn)):
        if i > 0:
            x = F.max_pool2d(x, 2, 2, ceil_mode=True)
        for conv in convs:
            x = F.relu(conv(x))
        side = F.interpolate(dsn(x), size=size, mode='bilinear', align_corners=False)
        sides.append(side[..., pad:pad + h, pad:pad + w])
    return torch.sigmoid(det.net.fuse(torch.cat(sides, 1)))[0, 0].float().numpy()


def _save_png(edges: np.ndarray, path: str) -> None:
    Image.fromarray(np.clip(edges * 255 + 0.5, 0, 255).astype(np.uint8)).save(path)


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
                _save_png(edge_nms(full), path)
                continue
            if v == 'raw_nms_pad35':
                _save_png(edge_nms(hed_caffe_padded(det, image)), path)
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
