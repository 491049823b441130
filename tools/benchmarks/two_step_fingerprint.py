"""Fingerprint of two optimiser steps of every training config in configs/.

For each config: build its model (fixed seed, CPU, ``init_weights`` as the
Runner does), take two steps of the config's own optimiser on a tiny
fabricated batch (2 images, 2 views, 64 px; HG configs also get grouping
targets), and record every loss term (as ``float.hex``) and a SHA-256 of
every parameter and buffer afterwards. Two runs are bit-identical iff their
JSON files are equal: used to show that a refactor of the algorithms
changes no bit (issue 10).

    python tools/benchmarks/two_step_fingerprint.py --out before.json
    python tools/benchmarks/two_step_fingerprint.py --out after.json \
        --compare before.json
"""
import argparse
import glob
import hashlib
import json
import os
import sys
import time

import torch


def fabricated_batch(n: int = 2, size: int = 64, seed: int = 0):
    """Two normalised views and data samples with HG targets.

    Images are noise; labels are a 4 x 4 block map of a 96 x 96 original
    read through each view's crop box and flip, so targets are consistent.
    """
    from mmselfsup.structures import SelfSupDataSample
    g = torch.Generator().manual_seed(seed)
    views = [torch.randn(n, 3, size, size, generator=g) for _ in range(2)]
    ys = torch.arange(96) * 4 // 96
    orig = ys[:, None] * 4 + ys[None, :]
    dist = torch.full((16, 16), 1.0)
    group = torch.arange(16) % 4 // 2
    dist[group[:, None] == group[None, :]] = 0.3
    dist.fill_diagonal_(0.0)
    u = torch.arange(size, dtype=torch.float64)
    samples = []
    for b in range(n):
        boxes, flips, labels = [], [], []
        for v in range(2):
            x0, y0 = 4.0 + 10 * v + 3 * b, 6.0 + 8 * v
            box = (x0, y0, x0 + 70.0, y0 + 70.0)
            flip = bool((v + b) % 2)
            uu = size - 1 - u if flip else u
            xs = (box[0] + (uu + 0.5) * 70.0 / size).floor().long()
            yv = (box[1] + (u + 0.5) * 70.0 / size).floor().long()
            labels.append(orig[yv[:, None], xs[None, :]])
            boxes.append(box)
            flips.append(flip)
        ds = SelfSupDataSample()
        ds.set_field(torch.stack(labels), 'hg_labels')
        ds.set_field(dist.clone(), 'hg_dist')
        ds.set_field(torch.tensor(boxes, dtype=torch.float32), 'hg_boxes')
        ds.set_field(torch.tensor(flips), 'hg_flips')
        samples.append(ds)
    return views, samples


def digest(t: torch.Tensor) -> str:
    t = t.detach().contiguous().cpu().reshape(-1)
    raw = t.numpy().tobytes() if t.dtype == torch.bool else \
        t.view(torch.uint8).numpy().tobytes()
    return f'{t.dtype}:{tuple(t.shape)}:' + hashlib.sha256(raw).hexdigest()


def fingerprint(cfg_path: str, steps: int = 2, seed: int = 0) -> dict:
    from mmengine.config import Config
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import DefaultScope

    import dense_ssl  # noqa: F401  (registers the modules)
    from dense_ssl.registry import MODELS, SCOPE
    cfg = Config.fromfile(cfg_path)
    torch.manual_seed(seed)
    with DefaultScope.overwrite_default_scope(SCOPE):
        model = MODELS.build(cfg.model)
        model.init_weights()
        optim = build_optim_wrapper(model, cfg.optim_wrapper)
    model.train()
    inputs, samples = fabricated_batch()
    record = dict(type=cfg.model.type, losses=[])
    for step in range(steps):
        torch.manual_seed(seed + 1 + step)
        losses = model.loss(inputs, samples)
        loss, log = model.parse_losses(losses)
        optim.update_params(loss)
        record['losses'].append(
            {k: float(torch.as_tensor(v).detach()).hex()
             for k, v in sorted(log.items())})
    record['state'] = {k: digest(v)
                       for k, v in sorted(model.state_dict().items())}
    return record


def training_configs(root: str = 'configs'):
    paths = sorted(glob.glob(os.path.join(root, '*.py')) +
                   glob.glob(os.path.join(root, 'demo', '*.py')))
    return [p for p in paths if not os.path.basename(p).startswith('_')]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--out', required=True, help='JSON file to write')
    parser.add_argument('--configs', nargs='*',
                        help='config files (default: every training config '
                        'in configs/ and configs/demo/)')
    parser.add_argument('--compare', help='earlier JSON to compare with')
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    paths = args.configs or training_configs()
    result = {}
    t0 = time.time()
    for i, path in enumerate(paths):
        result[path] = fingerprint(path)
        el = time.time() - t0
        print(f'[{i + 1}/{len(paths)}] {path} ({el:.0f} s, ETA '
              f'{el / (i + 1) * (len(paths) - i - 1):.0f} s)', flush=True)
        with open(args.out, 'w') as f:
            json.dump(result, f, indent=1, sort_keys=True)
    if args.compare:
        with open(args.compare) as f:
            before = json.load(f)
        bad, new = [], []
        for path, rec in result.items():
            old = before.get(path)
            if old is None:  # a config added since
                new.append(path)
                continue
            if old['losses'] != rec['losses']:
                bad.append(f'{path}: losses differ {old["losses"]} vs '
                           f'{rec["losses"]}')
            diff = [k for k in set(old['state']) | set(rec['state'])
                    if old['state'].get(k) != rec['state'].get(k)]
            if diff:
                bad.append(f'{path}: {len(diff)} state entries differ, '
                           f'e.g. {sorted(diff)[:5]}')
        if bad:
            print('NOT bit-identical:\n  ' + '\n  '.join(bad))
            return 1
        same = [p for p in result if p not in new]
        print(f'bit-identical to {args.compare}: {len(same)} configs, '
              f'{sum(len(result[p]["state"]) for p in same)} tensors'
              + (f'; not compared (new): {new}' if new else ''))
    return 0


if __name__ == '__main__':
    sys.exit(main())
