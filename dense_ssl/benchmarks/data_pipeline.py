"""CPU cost of the two-view data pipelines, ours against MMSelfSup's MoCo-v2.

Used by ``tools/benchmarks/bench_data.py``. A dataloader worker is one
process on one core (mmengine sets OpenCV to one thread there), so the CPU
time one sample takes in one process is what a worker pays for it; samples/s
per worker is its inverse and the workers one GPU needs are the GPU's sample
rate over that.
"""
import math
import os
import os.path as osp
import statistics
import time
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import cv2

# COCO's most common sizes (w x h): 640 x 480 and 480 x 640
COCO_SIZES = ((480, 640), (640, 480))


def write_coco_sized(src_paths: Sequence[str], out_dir: str,
                     quality: int = 90) -> List[str]:
    """Save every photo as a COCO-sized JPEG (resized to cover, centre crop):
    640 x 480 when it is wider than tall, 480 x 640 otherwise."""
    os.makedirs(out_dir, exist_ok=True)
    paths = []
    for i, src in enumerate(src_paths):
        img = cv2.imread(src, cv2.IMREAD_COLOR)
        if img is None:
            raise ValueError(f'cannot read the photo {src}')
        h, w = img.shape[:2]
        # squares alternate between portrait and landscape
        landscape = w > h or (w == h and i % 2 == 0)
        out_w, out_h = COCO_SIZES[1] if landscape else COCO_SIZES[0]
        s = max(out_w / w, out_h / h)
        img = cv2.resize(img, (math.ceil(w * s), math.ceil(h * s)),
                         interpolation=cv2.INTER_AREA)
        y0 = (img.shape[0] - out_h) // 2
        x0 = (img.shape[1] - out_w) // 2
        path = osp.join(out_dir, osp.basename(osp.splitext(src)[0]) + '.jpg')
        cv2.imwrite(path, img[y0:y0 + out_h, x0:x0 + out_w],
                    [cv2.IMWRITE_JPEG_QUALITY, quality])
        paths.append(path)
    return paths


def mmselfsup_config_dir() -> str:
    import mmselfsup
    return osp.join(osp.dirname(mmselfsup.__file__), '.mim', 'configs')


def mmselfsup_mocov2_pipeline() -> List[dict]:
    """MMSelfSup 1.0.0's own MoCo-v2 ``train_pipeline`` (the one its DenseCL
    config uses), read from its installed config."""
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(
        mmselfsup_config_dir(), 'selfsup', '_base_', 'datasets',
        'imagenet_mocov2.py'))
    return [dict(t) for t in cfg.train_pipeline]


def _our_base(base: str):
    from mmengine.config import Config
    root = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
    return Config.fromfile(
        osp.join(root, 'configs', '_base_', 'datasets', base))


def our_pipeline(base: str) -> List[dict]:
    """``train_pipeline`` of one of our dataset bases, e.g.
    ``mocov2_pipeline.py``."""
    return [dict(t) for t in _our_base(base).train_pipeline]


def our_per_view_pipeline(base: str) -> List[dict]:
    """The base's ``view_pipeline`` run through ``MultiView``, as a config
    that adds its own per-view steps gets it."""
    return [dict(type='LoadImageOrSkip'),
            dict(type='MultiView', num_views=2,
                 transforms=[list(_our_base(base).view_pipeline)]),
            dict(type='PackSelfSupInputs', meta_keys=['img_path'])]


# MMSelfSup's colour steps of the MoCo-v2 view pipeline
MMSELFSUP_COLOUR = [
    dict(type='RandomApply', prob=0.8, transforms=[dict(
        type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4,
        hue=0.1)]),
    dict(type='RandomGrayscale', prob=0.2, keep_channels=True,
         channel_weights=(0.114, 0.587, 0.2989)),
]


def hg_pipeline_mmselfsup_colour(size: int = 224) -> List[dict]:
    """Our HG pipeline with MMSelfSup's colour transforms instead of
    ``FastColourAug`` (what the HG configs used before)."""
    view = [dict(type='HGRandomResizedCropFlip', size=size, scale=(0.2, 1.),
                 flip_prob=0.5), *MMSELFSUP_COLOUR]
    return [dict(type='LoadImageOrSkip'), dict(type='HGLoadHierarchy'),
            dict(type='HGMultiView', num_views=2, transforms=view),
            dict(type='PackHGInputs')]


def build_stages(pipeline: Sequence[dict]) -> List[Tuple[str, Callable]]:
    """(type name, transform) for every step, built in the dense_ssl scope
    (which falls back to MMSelfSup's and mmcv's transforms)."""
    import dense_ssl  # noqa: F401
    from mmengine.registry import DefaultScope
    from dense_ssl.registry import TRANSFORMS
    if DefaultScope.get_current_instance() is None:
        DefaultScope.get_instance('bench_data', scope_name='dense_ssl')
    return [(cfg['type'], TRANSFORMS.build(cfg)) for cfg in pipeline]


def time_pipelines(variants: Dict[str, List[Tuple[str, Callable]]],
                   infos, rounds: int, warmup: int = 1,
                   progress: Optional[Callable[[int, int], None]] = None
                   ) -> Dict[str, Dict[str, List[float]]]:
    """CPU and wall seconds per sample of every variant, interleaved.

    Every round passes over ``infos`` (a list of data infos, or a dict
    giving each variant its own list of the same length, in the same image
    order); each image goes through every variant in a rotating order, so
    load from other processes hits them alike.
    Returns ``variant -> {'cpu': [...], 'wall': [...], stage: [...]}`` (the
    stage lists hold CPU seconds, keyed ``'<i> <type>'``).
    """
    out = {v: {'cpu': [], 'wall': []} for v in variants}
    names = list(variants)
    if not isinstance(infos, dict):
        infos = {v: infos for v in names}
    n = len(infos[names[0]])
    if any(len(infos[v]) != n for v in names):
        raise ValueError('every variant needs as many data infos')
    total = (warmup + rounds) * n
    for r in range(warmup + rounds):
        for k in range(n):
            shift = (r + k) % len(names)
            for v in names[shift:] + names[:shift]:
                info = infos[v][k]
                rec = out[v] if r >= warmup else None
                results = dict(info)
                c0, w0 = time.thread_time(), time.perf_counter()
                for i, (name, t) in enumerate(variants[v]):
                    s0 = time.thread_time()
                    results = t(results)
                    if rec is not None:
                        rec.setdefault(f'{i} {name}', []).append(
                            time.thread_time() - s0)
                    if results is None:
                        raise RuntimeError(
                            f'{v}: {name} skipped {info.get("img_path")}')
                if rec is not None:
                    rec['cpu'].append(time.thread_time() - c0)
                    rec['wall'].append(time.perf_counter() - w0)
            if progress is not None:
                progress(r * n + k + 1, total)
    return out


def workers_needed(gpu_samples_per_s: float, worker_samples_per_s: float
                   ) -> int:
    """Dataloader workers (one core each) that keep up with the GPU."""
    return math.ceil(gpu_samples_per_s / worker_samples_per_s)


def summarise(times: Dict[str, Dict[str, List[float]]], reference: str,
              gpu_samples_per_s: float) -> List[dict]:
    """One row per variant: mean / median CPU ms, wall ms, ratio of mean CPU
    time to ``reference``'s, samples/s per worker, workers per GPU."""
    ref = statistics.mean(times[reference]['cpu'])
    rows = []
    for v, tt in times.items():
        cpu = statistics.mean(tt['cpu'])
        rate = 1.0 / cpu
        rows.append(dict(
            variant=v, cpu_ms=cpu * 1e3,
            cpu_median_ms=statistics.median(tt['cpu']) * 1e3,
            wall_ms=statistics.mean(tt['wall']) * 1e3,
            ratio=cpu / ref, per_worker=rate,
            workers=workers_needed(gpu_samples_per_s, rate),
            stages={k: statistics.mean(x) * 1e3 for k, x in tt.items()
                    if k not in ('cpu', 'wall')}))
    return rows


def format_table(rows: Sequence[dict], reference: str,
                 gpu_samples_per_s: float) -> str:
    head = (f'{"pipeline":<34}{"CPU ms/sample":>14}{"median":>9}'
            f'{"wall ms":>9}{"/ " + reference[:12]:>16}{"samples/s/worker":>18}'
            f'{"workers/GPU":>13}')
    lines = [head, '-' * len(head)]
    for r in rows:
        lines.append(
            f'{r["variant"]:<34}{r["cpu_ms"]:>14.2f}{r["cpu_median_ms"]:>9.2f}'
            f'{r["wall_ms"]:>9.2f}{r["ratio"]:>16.3f}{r["per_worker"]:>18.1f}'
            f'{r["workers"]:>13d}')
    lines.append('')
    lines.append('CPU time per stage (mean ms):')
    for r in rows:
        lines.append(f'  {r["variant"]}: ' + ', '.join(
            f'{k.split(" ", 1)[1]} {ms:.2f}' for k, ms in r['stages'].items()))
    lines.append(
        f'\n(a sample = two 224 px views of one image; "/ {reference}": mean CPU '
        f'time relative to it; workers/GPU: ceil({gpu_samples_per_s:g} samples/s '
        'of the GPU / samples/s per worker), one core per worker)')
    return '\n'.join(lines)
