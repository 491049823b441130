"""Time DenseCL training steps: ours against MMSelfSup's, and MoCo-v2.

One process, the same batch and resolution for every model, steps
interleaved (every round runs each model once, in rotating order) so that
load from other processes hits all of them alike. A step is the whole
training step: forward of both encoders, loss, backward, SGD step.

Example (the numbers in docs/benchmarks.md)::

    .venv/bin/python tools/benchmarks/bench_densecl.py --depth 50 --batch 4 \
        --size 224 --iters 12
"""
import argparse
import statistics
import sys
import time

import torch

import dense_ssl  # noqa: F401
from dense_ssl.registry import MODELS
from mmselfsup.registry import MODELS as MMSELFSUP_MODELS


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--depth', type=int, default=50,
                        help='ResNet depth (18, 34, 50, 101)')
    parser.add_argument('--batch', type=int, default=4, help='images per step')
    parser.add_argument('--size', type=int, default=224, help='crop size, px')
    parser.add_argument('--iters', type=int, default=10,
                        help='timed steps per model (after --warmup)')
    parser.add_argument('--warmup', type=int, default=2,
                        help='untimed steps per model first')
    parser.add_argument('--queue-len', type=int, default=65536)
    parser.add_argument('--threads', type=int, default=0,
                        help='torch threads (0: torch default)')
    parser.add_argument(
        '--no-contiguous-variant', action='store_true',
        help='skip "ours, channels_last=False" (shown to attribute the gain)')
    return parser.parse_args(argv)


def build_models(args):
    wide = args.depth >= 50
    in_ch = 2048 if wide else 512
    backbone = dict(type='ResNet', depth=args.depth, in_channels=3,
                    out_indices=[4], norm_cfg=dict(type='BN'))
    neck = dict(in_channels=in_ch, hid_channels=in_ch, out_channels=128,
                num_grid=None)
    common = dict(queue_len=args.queue_len, feat_dim=128, momentum=0.999)
    head = dict(type='ContrastiveHead',
                loss=dict(type='mmcls.CrossEntropyLoss'), temperature=0.2)
    models = {
        'ours DenseCL (channels_last)': MODELS.build(dict(
            type='DenseCLAlgorithm', backbone=backbone,
            neck=dict(type='DenseProjectionNeck', **neck), loss_lambda=0.5,
            temperature=0.2, channels_last=True, **common)),
        'MMSelfSup DenseCL': MMSELFSUP_MODELS.build(dict(
            type='DenseCL', backbone=backbone,
            neck=dict(type='DenseCLNeck', **neck), loss_lambda=0.5,
            head=head, **common)),
        'ours MoCoV2 (channels_last)': MODELS.build(dict(
            type='MoCoV2Algorithm', backbone=backbone,
            neck=dict(type='MoCoV2Neck', in_channels=in_ch,
                      hid_channels=in_ch, out_channels=128,
                      with_avg_pool=True),
            temperature=0.2, channels_last=True, **common)),
    }
    if not args.no_contiguous_variant:
        models['ours DenseCL (contiguous)'] = MODELS.build(dict(
            type='DenseCLAlgorithm', backbone=backbone,
            neck=dict(type='DenseProjectionNeck', **neck), loss_lambda=0.5,
            temperature=0.2, channels_last=False, **common))
    # Same starting weights everywhere (the key names are shared).
    ref = models['MMSelfSup DenseCL'].state_dict()
    for name, model in models.items():
        if 'DenseCL' in name and 'MMSelfSup' not in name:
            model.load_state_dict(ref, strict=True)
    optims = {
        name: torch.optim.SGD(
            [p for p in m.parameters() if p.requires_grad], lr=0.03,
            momentum=0.9, weight_decay=1e-4)
        for name, m in models.items()
    }
    for m in models.values():
        m.train()
    return models, optims


SHORT = {
    'ours DenseCL (channels_last)': 'ours-CL',
    'MMSelfSup DenseCL': 'mmselfsup',
    'ours MoCoV2 (channels_last)': 'ours-MoCo',
    'ours DenseCL (contiguous)': 'ours-contig',
}


def train_step(model, optim, views):
    optim.zero_grad(set_to_none=True)
    losses = model.loss([v.clone() for v in views], None)
    sum(losses.values()).backward()
    optim.step()


def main(argv=None):
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    models, optims = build_models(args)
    views = [torch.randn(args.batch, 3, args.size, args.size)
             for _ in range(2)]
    names = list(models)
    times = {n: [] for n in names}
    cpu_times = {n: [] for n in names}
    total = args.warmup + args.iters
    print(f'ResNet-{args.depth}, batch {args.batch}, {args.size} px, queue '
          f'{args.queue_len}, {torch.get_num_threads()} threads, torch '
          f'{torch.__version__}; {total} rounds of {len(names)} models')
    for r in range(total):
        order = names[r % len(names):] + names[:r % len(names)]
        line = []
        for name in order:
            start, cpu_start = time.perf_counter(), time.process_time()
            train_step(models[name], optims[name], views)
            elapsed = time.perf_counter() - start
            cpu = time.process_time() - cpu_start
            if r >= args.warmup:
                times[name].append(elapsed)
                cpu_times[name].append(cpu)
            line.append(f'{SHORT[name]} {elapsed:.2f}s/{cpu:.2f}s')
        tag = 'warm-up' if r < args.warmup else 'timed'
        print(f'  round {r + 1}/{total} ({tag}) ' + ' '.join(line),
              flush=True)

    print('\nmedians over the timed rounds; wall clock, and CPU time of this '
          'process (less sensitive to other load on a shared machine)')
    print('| model | wall (s) | / MMSelfSup | CPU (s) | / MMSelfSup |')
    print('| --- | --- | --- | --- | --- |')
    med = {n: statistics.median(t) for n, t in times.items()}
    cmed = {n: statistics.median(t) for n, t in cpu_times.items()}
    ref, cref = med['MMSelfSup DenseCL'], cmed['MMSelfSup DenseCL']
    for name in names:
        print(f'| {name} | {med[name]:.3f} | {med[name] / ref:.3f} | '
              f'{cmed[name]:.3f} | {cmed[name] / cref:.3f} |')
    ours, moco = 'ours DenseCL (channels_last)', 'ours MoCoV2 (channels_last)'
    for label, m in (('wall', med), ('CPU', cmed)):
        print(f'{label}: ours DenseCL / MMSelfSup DenseCL = '
              f'{m[ours] / m["MMSelfSup DenseCL"]:.3f} (target <= 0.90); '
              f'MMSelfSup DenseCL / ours MoCoV2 = '
              f'{m["MMSelfSup DenseCL"] / m[moco]:.3f}; '
              f'ours DenseCL / ours MoCoV2 = {m[ours] / m[moco]:.3f}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
