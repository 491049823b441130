"""Overhead of HG's sampling + loss over a plain backbone + neck step.

Times, interleaved (A B A B ...), one training step of ``HierGroup`` (both
views through backbone + hypercolumn neck, region sampling, eq. 1 loss,
backward) against the same backbone + neck forward/backward with a trivial
loss (mean of the embeddings). Also times the sampling + loss part alone on
fixed embeddings, which resolves the overhead better than the difference of
two noisy step times. Data are synthetic HG targets of the data contract
(48 leaf regions per image, random crops and flips).

Example::

    python tools/benchmarks/bench_hiergroup.py --depth 50 --batch 8 --size 224
"""
import argparse
import statistics
import sys
import time

import torch


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--depth', type=int, default=50, help='ResNet depth')
    p.add_argument('--batch', type=int, default=8, help='images per batch')
    p.add_argument('--size', type=int, default=224, help='view size (px)')
    p.add_argument('--reps', type=int, default=5, help='timed steps each')
    p.add_argument('--warmup', type=int, default=1, help='untimed steps')
    p.add_argument('--loss-reps', type=int, default=20,
                   help='timed repetitions of sampling + loss alone')
    p.add_argument('--threads', type=int, default=0,
                   help='torch CPU threads (0: leave as is)')
    p.add_argument('--device', default='cpu', help="'cpu' or 'cuda'")
    return p.parse_args(argv)


def synthetic_batch(n, size, device, seed=0):
    """Two views and SelfSupDataSamples with hg_* fields (the contract)."""
    from mmselfsup.structures import SelfSupDataSample
    g = torch.Generator().manual_seed(seed)
    h, w, rows, cols = 480, 640, 6, 8
    labels = (torch.arange(h)[:, None] * rows // h * cols +
              torch.arange(w)[None, :] * cols // w)
    r = torch.arange(rows * cols)
    # Three-level tree: pairs of columns (0.3), halves (0.6), all (1.0).
    pair, half = r % cols // 2, r % cols // 4
    dist = torch.where(pair[:, None] == pair[None, :], 0.3,
                       torch.where(half[:, None] == half[None, :], 0.6, 1.0))
    dist.fill_diagonal_(0)
    samples = []
    for _ in range(n):
        boxes, flips, view_labels = [], [], []
        for _ in range(2):
            side = float(torch.empty(1).uniform_(0.4, 1.0, generator=g)) * h
            x0 = float(torch.rand(1, generator=g)) * (w - side)
            y0 = float(torch.rand(1, generator=g)) * (h - side)
            flip = bool(torch.rand(1, generator=g) < 0.5)
            u = torch.arange(size, dtype=torch.float64)
            uu = size - 1 - u if flip else u
            xs = (x0 + (uu + 0.5) * side / size).floor().long()
            ys = (y0 + (u + 0.5) * side / size).floor().long()
            view_labels.append(labels[ys[:, None], xs[None, :]])
            boxes.append((x0, y0, x0 + side, y0 + side))
            flips.append(flip)
        ds = SelfSupDataSample()
        ds.set_field(torch.stack(view_labels), 'hg_labels')
        ds.set_field(dist.clone(), 'hg_dist')
        ds.set_field(torch.tensor(boxes, dtype=torch.float32), 'hg_boxes')
        ds.set_field(torch.tensor(flips), 'hg_flips')
        samples.append(ds.to(device))
    views = [torch.randn(n, 3, size, size, generator=g).to(device)
             for _ in range(2)]
    return views, samples


def sync(device):
    if device.startswith('cuda'):
        torch.cuda.synchronize()


def main(argv=None):
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    import dense_ssl  # noqa: F401  (registers the modules)
    from mmengine.registry import DefaultScope
    from dense_ssl.models.objectives import hierarchy_term
    from dense_ssl.models.sampling import collect_hg_targets
    from dense_ssl.registry import MODELS

    channels = (1024, 2048) if args.depth >= 50 else (256, 512)
    with DefaultScope.overwrite_default_scope('dense_ssl'):
        model = MODELS.build(
            dict(type='HierGroup',
                 backbone=dict(type='ResNet', depth=args.depth,
                               out_indices=(3, 4)),
                 neck=dict(type='HypercolumnNeck', in_channels=channels)))
    model.to(args.device).train()
    inputs, samples = synthetic_batch(args.batch, args.size, args.device)

    def step_hg():
        model.zero_grad(set_to_none=True)
        model.loss(inputs, samples)['loss_hg'].backward()

    def step_plain():
        model.zero_grad(set_to_none=True)
        model.embed(torch.cat(inputs)).mean().backward()

    times = {'hg_step': [], 'plain_step': []}
    total = args.warmup + args.reps
    for i in range(total):
        for name, fn in (('plain_step', step_plain), ('hg_step', step_hg)):
            sync(args.device)
            t0 = time.perf_counter()
            fn()
            sync(args.device)
            if i >= args.warmup:
                times[name].append(time.perf_counter() - t0)
        print(f'[{i + 1}/{total}] plain {times["plain_step"][-1:]} '
              f'hg {times["hg_step"][-1:]}', file=sys.stderr, flush=True)

    # Sampling + loss alone, on fixed embeddings of the right shape.
    n, s = args.batch, args.size // 4
    embs = [torch.randn(n, 32, s, s, device=args.device, requires_grad=True)
            for _ in range(2)]
    part = []
    for i in range(args.loss_reps + 1):
        sync(args.device)
        t0 = time.perf_counter()
        targets = collect_hg_targets(samples, torch.device(args.device))
        loss, _ = hierarchy_term(embs, targets, model.sampler, model.head)
        loss.backward()
        sync(args.device)
        if i:
            part.append(time.perf_counter() - t0)

    med = {k: statistics.median(v) for k, v in times.items()}
    med_part = statistics.median(part)
    print(f'ResNet-{args.depth}, batch {args.batch} x 2 views, '
          f'{args.size} px, {args.device}, {torch.get_num_threads()} threads')
    print('| measurement | median (s) |')
    print('|---|---|')
    print(f'| backbone + neck fwd/bwd, trivial loss | {med["plain_step"]:.4f} |')
    print(f'| HierGroup step (sampling + eq. 1 loss) | {med["hg_step"]:.4f} |')
    print(f'| sampling + loss alone (fwd + bwd) | {med_part:.4f} |')
    paired = statistics.median(
        h / p for h, p in zip(times['hg_step'], times['plain_step']))
    print(f'step ratio hg / plain: {med["hg_step"] / med["plain_step"]:.4f}'
          f' (ratio of medians), {paired:.4f} (median of interleaved pairs)')
    print(f'sampling + loss / plain step: '
          f'{100 * med_part / med["plain_step"]:.2f} %')


if __name__ == '__main__':
    main()
