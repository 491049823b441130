"""Training-step throughput on one device: DenseCL (ours, MMSelfSup's), HG, HED.

Used by ``tools/benchmarks/gpu_check.sh`` through ``gpu_bench.py``. The same
code runs on ``cpu`` with small sizes (``--dry-run``), so the CPU test covers
everything but the CUDA kernels. A row: samples/s (a sample = one image, two
views for DenseCL / HG), ms per step, and peak memory of the device.
"""
import time
from typing import Callable, Dict, List, Optional

import numpy as np
import torch


class Sizes:
    """Model and input sizes of a run: the real ones, or tiny ones for a
    dry run on the CPU."""

    def __init__(self, dry_run: bool, batch: Optional[int] = None) -> None:
        self.depth = 18 if dry_run else 50
        self.batch = batch or (2 if dry_run else 32)
        self.size = 64 if dry_run else 224
        self.queue_len = 64 if dry_run else 65536
        self.iters = 1 if dry_run else 20
        self.warmup = 1 if dry_run else 5
        self.hed_images = 1 if dry_run else 20
        self.hed_long_side = 96 if dry_run else 320


def _sync(device: torch.device) -> None:
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def _reset_peak(device: torch.device) -> None:
    if device.type == 'cuda':
        torch.cuda.reset_peak_memory_stats(device)


def _peak_gib(device: torch.device) -> Optional[float]:
    if device.type == 'cuda':
        return torch.cuda.max_memory_allocated(device) / 2**30
    return None


def densecl_models(sizes: Sizes) -> Dict[str, dict]:
    """name -> dict(model, amp): MMSelfSup's DenseCL fp32, ours fp32 (both
    layouts) and ours AMP + channels_last, from the same starting weights."""
    import dense_ssl  # noqa: F401
    from mmselfsup.registry import MODELS as MMSELFSUP_MODELS
    from dense_ssl.registry import MODELS
    ch = 2048 if sizes.depth >= 50 else 512
    backbone = dict(type='ResNet', depth=sizes.depth, in_channels=3,
                    out_indices=[4], norm_cfg=dict(type='BN'))
    neck = dict(in_channels=ch, hid_channels=ch, out_channels=128,
                num_grid=None)
    common = dict(queue_len=sizes.queue_len, feat_dim=128, momentum=0.999)

    def ours(channels_last):
        return MODELS.build(dict(
            type='DenseCLAlgorithm', backbone=backbone,
            neck=dict(type='DenseProjectionNeck', **neck), loss_lambda=0.5,
            temperature=0.2, channels_last=channels_last, **common))
    ref = MMSELFSUP_MODELS.build(dict(
        type='DenseCL', backbone=backbone,
        neck=dict(type='DenseCLNeck', **neck), loss_lambda=0.5,
        head=dict(type='ContrastiveHead',
                  loss=dict(type='mmcls.CrossEntropyLoss'), temperature=0.2),
        **common))
    out = {'MMSelfSup DenseCL fp32': dict(model=ref, amp=False),
           'ours DenseCL fp32': dict(model=ours(False), amp=False),
           'ours DenseCL fp32 channels_last': dict(model=ours(True), amp=False),
           'ours DenseCL AMP channels_last': dict(model=ours(True), amp=True)}
    state = ref.state_dict()
    for name, v in out.items():
        if name.startswith('ours'):
            v['model'].load_state_dict(state, strict=True)
    return out


def hg_model(sizes: Sizes):
    """HG (ResNet + hypercolumn neck) as configs/_base_/models/hiergroup_r50.py."""
    import dense_ssl  # noqa: F401
    from dense_ssl.registry import MODELS
    ch = (1024, 2048) if sizes.depth >= 50 else (256, 512)
    return MODELS.build(dict(
        type='HierGroup',
        backbone=dict(type='ResNet', depth=sizes.depth, in_channels=3,
                      out_indices=(3, 4), norm_cfg=dict(type='BN')),
        neck=dict(type='HypercolumnNeck', in_channels=ch, in_strides=(16, 32),
                  mid_channels=256, out_channels=32, out_stride=4),
        head=dict(type='HierarchyLossHead', temperature=1.0),
        sampler=dict(num_regions=7, anchors_per_region=1, num_pos=10,
                     num_neg=5, num_cns=5, sigma_p=0.8)))


def hg_batch(batch: int, size: int, device: torch.device):
    """Two views and HG targets in the data contract: each image is a 4 x 4
    grid of regions (columns pairwise merged at 0.3, all at 1.0); view 0 is
    the whole image, view 1 its mirror image."""
    from mmselfsup.structures import SelfSupDataSample
    g = torch.Generator().manual_seed(0)
    idx = torch.arange(size) * 4 // size
    labels = idx[:, None] * 4 + idx[None, :]
    group = torch.arange(16) % 4 // 2
    dist = torch.where(group[:, None] == group[None, :], 0.3, 1.0)
    dist.fill_diagonal_(0.0)
    views = torch.randn(batch, 3, size, size, generator=g)
    samples = []
    for _ in range(batch):
        ds = SelfSupDataSample()
        ds.set_field(torch.stack([labels, labels.flip(-1)]), 'hg_labels')
        ds.set_field(dist.clone(), 'hg_dist')
        ds.set_field(torch.tensor([[0., 0., size, size]] * 2), 'hg_boxes')
        ds.set_field(torch.tensor([False, True]), 'hg_flips')
        samples.append(ds.to(device))
    return [views.to(device), views.flip(-1).to(device)], samples


def time_steps(model, inputs_fn: Callable[[], list], data_samples,
               device: torch.device, amp: bool, iters: int, warmup: int,
               batch: int) -> dict:
    """Mean time of a full training step (forward, backward, SGD) and peak
    memory; AMP = autocast (fp16 on CUDA with a GradScaler, bf16 on CPU)."""
    model.to(device).train()
    optim = torch.optim.SGD([p for p in model.parameters() if p.requires_grad],
                            lr=0.03, momentum=0.9, weight_decay=1e-4)
    dtype = torch.float16 if device.type == 'cuda' else torch.bfloat16
    scaler = torch.amp.GradScaler('cuda') if amp and device.type == 'cuda' \
        else None
    _sync(device)
    _reset_peak(device)
    times = []
    for i in range(warmup + iters):
        inputs = inputs_fn()
        _sync(device)
        t0 = time.perf_counter()
        optim.zero_grad(set_to_none=True)
        with torch.autocast(device.type, dtype=dtype, enabled=amp):
            losses = model.loss(inputs, data_samples)
        loss = sum(v for k, v in losses.items() if k.startswith('loss'))
        if not torch.isfinite(loss):
            raise RuntimeError(f'non-finite loss {loss.item()} at step {i}')
        if scaler is not None:
            scaler.scale(loss).backward()
            scaler.step(optim)
            scaler.update()
        else:
            loss.backward()
            optim.step()
        _sync(device)
        if i >= warmup:
            times.append(time.perf_counter() - t0)
    step = float(np.mean(times))
    model.to('cpu')
    return dict(step_ms=step * 1e3, samples_per_s=batch / step,
                peak_gib=_peak_gib(device))


def bench_densecl(device: str, sizes: Sizes) -> List[dict]:
    dev = torch.device(device)
    torch.manual_seed(0)
    models = densecl_models(sizes)
    views = [torch.randn(sizes.batch, 3, sizes.size, sizes.size).to(dev)
             for _ in range(2)]
    rows = []
    for name, v in models.items():
        r = time_steps(v['model'], lambda: [x.clone() for x in views], None,
                       dev, v['amp'], sizes.iters, sizes.warmup, sizes.batch)
        rows.append(dict(name=name, **r))
        del v['model']
        if dev.type == 'cuda':
            torch.cuda.empty_cache()
    return rows


def bench_hg(device: str, sizes: Sizes, amp: bool = False) -> dict:
    dev = torch.device(device)
    torch.manual_seed(0)
    inputs, samples = hg_batch(sizes.batch, sizes.size, dev)
    r = time_steps(hg_model(sizes), lambda: [x.clone() for x in inputs],
                   samples, dev, amp, sizes.iters, sizes.warmup, sizes.batch)
    return dict(name='ours HG' + (' AMP' if amp else ' fp32'), **r)


def bench_hed_hierarchy(device: str, sizes: Sizes, image: np.ndarray) -> dict:
    """Whole hierarchy building (HED edges on ``device``, OWT-UCM and the cut
    on the CPU) per image, long side ``sizes.hed_long_side``."""
    from dense_ssl.grouping.hierarchy import HierarchyBuilder
    dev = torch.device(device)
    builder = HierarchyBuilder('hed', long_side=sizes.hed_long_side,
                               detector_kwargs=dict(device=device))
    _reset_peak(dev)
    builder(image)  # warm-up (cuDNN autotuning, allocations)
    _sync(dev)
    t0 = time.perf_counter()
    for _ in range(sizes.hed_images):
        tree = builder(image)
    _sync(dev)
    dt = (time.perf_counter() - t0) / sizes.hed_images
    if tree.num_regions < 2:
        raise RuntimeError(f'HED hierarchy has {tree.num_regions} region(s)')
    return dict(name=f'HED hierarchy (long side {sizes.hed_long_side})',
                step_ms=dt * 1e3, samples_per_s=1.0 / dt,
                peak_gib=_peak_gib(dev))


def format_rows(rows: List[dict], reference: str = 'MMSelfSup DenseCL fp32'
                ) -> str:
    ref = next((r['samples_per_s'] for r in rows if r['name'] == reference),
               None)
    head = (f'| {"step":<44} | {"samples/s":>10} | {"ms/step":>9} | '
            f'{"x MMSelfSup fp32":>16} | {"peak GiB":>8} |')
    lines = [head, '|' + '|'.join('-' * (len(c)) for c in head.split('|')[1:-1])
             + '|']
    for r in rows:
        speed = (f'{r["samples_per_s"] / ref:.2f}'
                 if ref and 'DenseCL' in r['name'] else '-')
        mem = '-' if r.get('peak_gib') is None else f'{r["peak_gib"]:.2f}'
        lines.append(f'| {r["name"]:<44} | {r["samples_per_s"]:>10.1f} | '
                     f'{r["step_ms"]:>9.1f} | {speed:>16} | {mem:>8} |')
    return '\n'.join(lines)
