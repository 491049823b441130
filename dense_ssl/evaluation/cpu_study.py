"""The CPU study: does pre-training learn dense features? (issue 14)

Pre-trains ResNet-18s at 128 px on the 200 BSDS500 train photos with the
study configs (``configs/cpu_study/``, run as ``mim train`` runs them:
MMSelfSup's ``tools/train.py`` in a subprocess), then evaluates every run,
plus the random initialisation and a Lab + position "embedding", with
settings fixed here before any run (:data:`FULL`, :data:`QUICK`):

* linear and nearest-neighbour probes (:mod:`.dense_probe`) on dead-leaves
  scenes (:mod:`.probe_scenes`; train seed 0, val seed 1), on the last
  backbone map (stride 32) of every model;
* grouping quality on BSDS500 val: K-means (K in ``ks``) of the model's
  dense embedding (the HG hypercolumn, stride 4, when the model has one,
  else the last backbone map), scored against the human segmentations;
* the share of geometrically correct mutual matches between two augmented
  views (:mod:`.correspondence_share`) on the last backbone map.

Every run writes ``runs/<method>_s<seed>.json`` under the output folder as
soon as it is evaluated (and appends the record to ``results.jsonl``); a
second invocation skips what is there (resumable, also per training
checkpoint). ``shard=(i, n)`` runs every n-th job, so two processes share
the 2 cores.
"""
import fcntl
import glob
import json
import math
import os
import os.path as osp
import subprocess
import sys
import time
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch

from . import dense_probe as dp
from .correspondence_share import correspondence_share
from .probe_runner import grouping_scores, kmeans_segmentations
from .probe_scenes import write_scenes

#: (row name, study config or None); None = no model (Lab + position)
METHODS = (
    ('Lab+position', None),
    ('random init', 'mocov2_r18_bsds.py'),
    ('MoCo-v2', 'mocov2_r18_bsds.py'),
    ('DenseCL', 'densecl_r18_bsds.py'),
    ('HG', 'hiergroup_r18_bsds.py'),
    ('HG+MoCo', 'hiergroup-moco_r18_bsds.py'),
    ('HG+DenseCL', 'hiergroup-densecl_r18_bsds.py'),
)
UNTRAINED = ('Lab+position', 'random init')
HG_METHODS = ('HG', 'HG+MoCo', 'HG+DenseCL')

#: the study's settings, fixed before the runs
FULL = dict(iters=100, batch=8, seeds=(0, 1), scenes_train=48, scenes_val=24,
            scene_size=224, grouping_images=50, ks=(2, 4, 8, 16),
            corr_photos=30, corr_size=224, train_images=None)
#: every step, on tiny data (CI)
QUICK = dict(iters=2, batch=2, seeds=(0, ), scenes_train=4, scenes_val=2,
             scene_size=96, grouping_images=2, ks=(2, 4), corr_photos=2,
             corr_size=96, train_images=8)


def repo_configs() -> str:
    return osp.join(osp.dirname(osp.dirname(osp.dirname(
        osp.abspath(__file__)))), 'configs', 'cpu_study')


def slug(method: str) -> str:
    return method.lower().replace('+', '-').replace(' ', '-')


def jobs(settings: Dict) -> List[Tuple[str, int]]:
    """(method, seed) in run order: every method's first seed first."""
    return [(m, s) for s in settings['seeds'] for m, _ in METHODS]


# ---------------------------------------------------------------- data
def prepare_scenes(cache: str, settings: Dict, log=print) -> Dict[str, str]:
    """Train / val scenes in the cache (made once per setting)."""
    out = {}
    for split, seed, num in (('train', 0, settings['scenes_train']),
                             ('val', 1, settings['scenes_val'])):
        d = osp.join(cache, 'probe_scenes',
                     f'seed{seed}_n{num}_s{settings["scene_size"]}')
        if not osp.isfile(osp.join(d, 'classes.txt')):
            log(f'writing {num} {split} scenes to {d}')
            write_scenes(d + '.tmp', num, seed, settings['scene_size'])
            os.replace(d + '.tmp', d) if not osp.isdir(d) else None
        out[split] = d
    return out


def prepare_train_images(bsds: str, cache: str, settings: Dict) -> str:
    """The pre-training photos: BSDS train, or its first N (symlinks)."""
    src = osp.abspath(osp.join(bsds, 'images', 'train'))
    n = settings['train_images']
    if n is None:
        return src
    d = osp.join(cache, f'bsds500_train_first{n}')
    os.makedirs(d, exist_ok=True)
    for name in sorted(os.listdir(src))[:n]:
        if not osp.lexists(osp.join(d, name)):
            os.symlink(osp.join(src, name), osp.join(d, name))
    return d


def prepare_store(images: str, cache: str, log=print) -> str:
    """Region trees of the photos, built with dense_ssl.grouping (cached)."""
    from dense_ssl.grouping.build import build_store, list_folder_images
    from dense_ssl.grouping.chunks import FORMAT_VERSION
    from dense_ssl.grouping.hierarchy import HierarchyBuilder
    # one folder per store format: a builder cannot add to an older
    # format's store (training still reads it), and rebuilding 200 photos
    # with the gradient detector takes about a minute
    store = osp.join(cache, 'hier', osp.basename(images.rstrip('/'))
                     + f'_f{FORMAT_VERSION}')
    items = list_folder_images(images)
    log(f'region trees of {len(items)} photos -> {store}')
    builder = HierarchyBuilder('gradient')
    res = build_store(items, store, builder, progress=False)
    if res['chunks_missing']:
        raise RuntimeError(f'hierarchy store {store} is incomplete')
    return store


def load_labelled(folder: str) -> Tuple[List[np.ndarray], torch.Tensor]:
    from dense_ssl.applications.image_io import read_index_png, read_rgb
    names = sorted(os.listdir(osp.join(folder, 'images')))
    imgs = [read_rgb(osp.join(folder, 'images', n)) for n in names]
    labels = np.stack([read_index_png(osp.join(folder, 'labels', n))
                       for n in names])
    return imgs, torch.from_numpy(labels.astype(np.int64))


def read_rgb_list(paths: Sequence[str]) -> List[np.ndarray]:
    from dense_ssl.applications.image_io import read_rgb
    return [read_rgb(p) for p in paths]


# ---------------------------------------------------------------- train
def train_py() -> str:
    import mmselfsup
    return osp.join(osp.dirname(mmselfsup.__file__), '.mim', 'tools',
                    'train.py')


def pretrain(method: str, seed: int, settings: Dict, images: str,
             store: str, work_dir: str, log=print) -> Tuple[str, float]:
    """Train one run (skipped when its last checkpoint exists)."""
    iters = settings['iters']
    ckpt = osp.join(work_dir, f'iter_{iters}.pth')
    if osp.isfile(ckpt):
        return ckpt, 0.0
    cfg = osp.join(repo_configs(), dict(METHODS)[method])
    opts = [f'randomness.seed={seed}', f'train_cfg.max_iters={iters}',
            f'param_scheduler.0.T_max={iters}',
            f'param_scheduler.0.end={iters}',
            f'train_dataloader.batch_size={settings["batch"]}',
            f'default_hooks.checkpoint.interval={iters}',
            f'default_hooks.logger.interval={max(1, min(25, iters // 8))}']
    if method in HG_METHODS:
        opts += [f'train_dataloader.dataset.data_prefix.img_path={images}',
                 f'train_dataloader.dataset.store={store}']
    else:
        opts += [f'train_dataloader.dataset.data_root={images}']
    cmd = [sys.executable, train_py(), cfg, '--work-dir', work_dir,
           '--cfg-options', *opts]
    os.makedirs(work_dir, exist_ok=True)
    # the subprocess imports this checkout's dense_ssl (the one running the
    # study), also where another checkout is pip-installed in editable mode
    root = osp.dirname(osp.dirname(repo_configs()))
    path = os.environ.get('PYTHONPATH')
    env = dict(os.environ, OMP_NUM_THREADS='1', MKL_NUM_THREADS='1',
               PYTHONPATH=root + (os.pathsep + path if path else ''))
    log(f'training {method} seed {seed}: {iters} iterations -> {work_dir}')
    t0 = time.time()
    with open(osp.join(work_dir, 'train_stdout.log'), 'w') as out:
        proc = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT,
                              env=env)
    if proc.returncode or not osp.isfile(ckpt):
        raise RuntimeError(f'training {method} seed {seed} failed (exit '
                           f'{proc.returncode}); see '
                           f'{osp.join(work_dir, "train_stdout.log")}')
    return ckpt, time.time() - t0


def loss_curve(work_dir: str) -> List[Dict]:
    """The logged loss terms of a run (mmengine's vis_data/scalars.json)."""
    files = sorted(glob.glob(osp.join(work_dir, '*', 'vis_data',
                                      'scalars.json')))
    if not files:
        return []
    rows = []
    with open(files[-1]) as f:
        for line in f:
            rec = json.loads(line)
            rows.append({k: v for k, v in rec.items()
                         if k == 'iter' or k.startswith('loss')})
    return rows


# ---------------------------------------------------------------- evaluate
class Features:
    """The maps one row is evaluated on."""

    def __init__(self, method: str, seed: int, ckpt: Optional[str]):
        self.method = method
        self.embedders = {}
        if method == 'Lab+position':
            return
        from dense_ssl.applications.embedding import DenseEmbedder
        cfg = osp.join(repo_configs(), dict(METHODS)[method])
        for feature in ('backbone', 'auto'):
            torch.manual_seed(seed)  # the random init of the untrained row
            self.embedders[feature] = DenseEmbedder(cfg, ckpt, 'cpu',
                                                    feature)

    def backbone(self, image: np.ndarray) -> torch.Tensor:
        if not self.embedders:
            return dp.lab_position_features(image, 32)
        return self.embedders['backbone'](image)[0]

    def embedding(self, image: np.ndarray) -> Tuple[torch.Tensor, bool]:
        """(map, standardize for K-means)."""
        if not self.embedders:
            return dp.lab_position_features(image, 4), True
        return self.embedders['auto'](image)[0], False

    def views(self, views: torch.Tensor) -> torch.Tensor:
        if not self.embedders:
            return torch.stack([dp.lab_position_features(
                v.permute(1, 2, 0).clamp(0, 255).byte().numpy(), 32)
                for v in views])
        emb = self.embedders['backbone']
        x = (views - emb.mean) / emb.std
        return emb._forward(x)


def probe_scores(feats: Features, scenes: Dict[str, str]) -> Dict:
    tr_imgs, tr_lab = load_labelled(scenes['train'])
    va_imgs, va_lab = load_labelled(scenes['val'])
    with open(osp.join(scenes['train'], 'classes.txt')) as f:
        k = len(f.read().split())
    tr = torch.stack([feats.backbone(i) for i in tr_imgs])
    va = torch.stack([feats.backbone(i) for i in va_imgs])
    lin = dp.linear_probe(tr, tr_lab, va, va_lab, k, ignore_index=None)
    nn = dp.nn_retrieval(tr, tr_lab, va, va_lab, k, ignore_index=None)
    return dict(linear_miou=lin['miou'], linear_train_miou=lin['train_miou'],
                nn_miou=nn['miou'])


def grouping_segmentations(feats: Features, photos: Sequence[np.ndarray],
                           ks: Sequence[int], seed: int = 0
                           ) -> List[Dict[int, np.ndarray]]:
    """Per photo: {K: (H, W) segment ids} from K-means of the embedding."""
    out = []
    for img in photos:
        emb, standardize = feats.embedding(img)
        out.append(kmeans_segmentations(emb, img.shape[:2], ks, seed,
                                        standardize))
    return out


def evaluate(method: str, seed: int, ckpt: Optional[str], settings: Dict,
             scenes: Dict[str, str], bsds: str, out_dir: str) -> Dict:
    t0 = time.time()
    feats = Features(method, seed, ckpt)
    rec = dict(method=method, seed=seed)
    rec.update(probe_scores(feats, scenes))
    val = sorted(glob.glob(osp.join(bsds, 'images', 'val', '*.jpg')))
    corr = correspondence_share(feats.views,
                                read_rgb_list(val[:settings['corr_photos']]),
                                settings['corr_size'], seed=0)
    rec.update(corr_share=corr['share'], corr_matches=corr['matches'])
    photos_paths = val[:settings['grouping_images']]
    segs = grouping_segmentations(feats, read_rgb_list(photos_paths),
                                  settings['ks'])
    seg_file = osp.join(out_dir, 'segs', f'{slug(method)}_s{seed}.npz')
    os.makedirs(osp.dirname(seg_file), exist_ok=True)
    np.savez_compressed(seg_file, **{
        f'{osp.splitext(osp.basename(p))[0]}_k{k}': s[k]
        for p, s in zip(photos_paths, segs) for k in s})
    rec['segmentations'] = seg_file
    rec.update(grouping_scores(photos_paths, segs,
                               osp.join(bsds, 'groundTruth', 'val')))
    rec['eval_s'] = time.time() - t0
    return rec


def rescore_grouping(rec: Dict, bsds: str) -> bool:
    """Add the BSDS scores to a record evaluated before the evaluator
    existed (from its saved segmentations); True when it changed."""
    if not str(rec.get('grouping', '')).startswith('pending'):
        return False
    saved = np.load(rec['segmentations'])
    by_photo: Dict[str, Dict[int, np.ndarray]] = {}
    for key in saved.files:
        image_id, k = key.rsplit('_k', 1)
        by_photo.setdefault(image_id, {})[int(k)] = saved[key]
    ids = sorted(by_photo)
    paths = [osp.join(bsds, 'images', 'val', i + '.jpg') for i in ids]
    rec.update(grouping_scores(paths, [by_photo[i] for i in ids],
                               osp.join(bsds, 'groundTruth', 'val')))
    rec.pop('grouping')
    return True


# ---------------------------------------------------------------- driver
def _write_json(path: str, rec: Dict) -> None:
    with open(path + '.tmp', 'w') as f:
        json.dump(rec, f, indent=1)
    os.replace(path + '.tmp', path)


def _append_jsonl(path: str, rec: Dict) -> None:
    with open(path, 'a') as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        f.write(json.dumps(rec) + '\n')
        fcntl.flock(f, fcntl.LOCK_UN)


def run_study(out_dir: str, bsds: str, cache: str, quick: bool = False,
              shard: Tuple[int, int] = (0, 1), log=print) -> List[Dict]:
    """Run (or resume) the study; returns the records of this shard."""
    settings = QUICK if quick else FULL
    os.makedirs(osp.join(out_dir, 'runs'), exist_ok=True)
    with open(osp.join(out_dir, 'settings.json'), 'w') as f:
        json.dump(dict(settings, methods=METHODS), f, indent=1)
    scenes = prepare_scenes(cache, settings, log)
    images = prepare_train_images(bsds, cache, settings)
    store = prepare_store(images, cache, log)
    todo = jobs(settings)
    mine = [j for n, j in enumerate(todo) if n % shard[1] == shard[0]]
    records, t_start = [], time.time()
    for n, (method, seed) in enumerate(mine):
        path = osp.join(out_dir, 'runs', f'{slug(method)}_s{seed}.json')
        if osp.isfile(path):
            with open(path) as f:
                rec = json.load(f)
            if rescore_grouping(rec, bsds):
                log(f'{method} seed {seed}: BSDS scores of its saved '
                    'segmentations added')
                _write_json(path, rec)
            records.append(rec)
            continue
        work = osp.join(out_dir, 'train', f'{slug(method)}_s{seed}')
        ckpt, train_s = None, 0.0
        if method not in UNTRAINED:
            ckpt, train_s = pretrain(method, seed, settings, images, store,
                                     work, log)
        rec = evaluate(method, seed, ckpt, settings, scenes, bsds, out_dir)
        rec.update(train_s=train_s, iters=0 if ckpt is None else
                   settings['iters'], losses=loss_curve(work) if ckpt else [])
        _write_json(path, rec)
        _append_jsonl(osp.join(out_dir, 'results.jsonl'), rec)
        records.append(rec)
        done = time.time() - t_start
        left = done / (n + 1) * (len(mine) - n - 1)
        log(f'[{n + 1}/{len(mine)}] {method} seed {seed}: linear '
            f'{rec["linear_miou"]:.3f} nn {rec["nn_miou"]:.3f} corr '
            f'{rec["corr_share"]:.3f} (train {train_s:.0f} s, eval '
            f'{rec["eval_s"]:.0f} s; ETA {left / 60:.0f} min)')
    return records


# ---------------------------------------------------------------- table
#: (column, record key); grouping keys appear once the BSDS evaluator ran
METRICS = (('linear mIoU', 'linear_miou'), ('NN mIoU', 'nn_miou'),
           ('corr. share', 'corr_share'), ('covering ODS', 'covering_ods'),
           ('PRI ODS', 'pri_ods'), ('VoI ODS', 'voi_ods'),
           ('boundary F ODS', 'bdry_ods_f'))


def read_records(out_dir: str) -> List[Dict]:
    recs = []
    for path in sorted(glob.glob(osp.join(out_dir, 'runs', '*.json'))):
        with open(path) as f:
            recs.append(json.load(f))
    return recs


def summarize(records: Sequence[Dict]) -> List[Dict]:
    """Per method (study order): n seeds, mean and spread of each metric.

    Spread = half the range over seeds (with 2 seeds: |a - b| / 2, the
    "+-" printed), NaN with one seed.
    """
    rows = []
    for method, _ in METHODS:
        recs = [r for r in records if r['method'] == method]
        if not recs:
            continue
        row = dict(method=method, seeds=sorted(r['seed'] for r in recs))
        for _, key in METRICS:
            vals = [r[key] for r in recs if isinstance(r.get(key),
                                                       (int, float))]
            if vals:
                row[key] = (float(np.mean(vals)), float(
                    (max(vals) - min(vals)) / 2) if len(vals) > 1 else
                    float('nan'))
        rows.append(row)
    return rows


def markdown_table(rows: Sequence[Dict]) -> str:
    keys = [(c, k) for c, k in METRICS if any(k in r for r in rows)]
    head = '| method | seeds | ' + ' | '.join(c for c, _ in keys) + ' |'
    lines = [head, '|' + '---|' * (len(keys) + 2)]
    for r in rows:
        cells = []
        for _, k in keys:
            if k not in r:
                cells.append('-')
            elif math.isnan(r[k][1]):
                cells.append(f'{r[k][0]:.3f}')
            else:
                cells.append(f'{r[k][0]:.3f} ± {r[k][1]:.3f}')
        lines.append(f'| {r["method"]} | {len(r["seeds"])} | '
                     + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def plot_table(rows: Sequence[Dict], path: str) -> None:
    """One panel per metric: mean per method, a dot per seed's spread."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    keys = [(c, k) for c, k in METRICS if any(k in r for r in rows)]
    ncols = min(4, len(keys))
    nrows = -(-len(keys) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.2 * ncols,
                                                    0.4 + 2.8 * nrows),
                             squeeze=False)
    for ax in axes.flat[len(keys):]:
        ax.axis('off')
    names = [r['method'] for r in rows]
    for n, (ax, (col, key)) in enumerate(zip(axes.flat, keys)):
        mean = [r[key][0] if key in r else np.nan for r in rows]
        err = [0 if key not in r or math.isnan(r[key][1]) else r[key][1]
               for r in rows]
        colours = ['0.6' if n in UNTRAINED else 'C0' for n in names]
        ax.barh(range(len(rows)), mean, xerr=err, color=colours,
                capsize=3)
        ax.set_yticks(range(len(rows)))
        ax.set_yticklabels(names if n % ncols == 0 else [], fontsize=8)
        ax.invert_yaxis()
        ax.set_title(col + (' (lower better)' if 'VoI' in col else ''),
                     fontsize=9)
        ax.tick_params(axis='x', labelsize=8)
    fig.suptitle('CPU study: ResNet-18, 128 px, BSDS500 train '
                 '(grey: no pre-training; bars: mean, whiskers: spread over '
                 'seeds)', fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_losses(records: Sequence[Dict], path: str) -> bool:
    """One panel per trained method: each logged loss term over the
    iterations, a line style per seed; False when no run has a curve."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    methods = [m for m, _ in METHODS
               if any(r['method'] == m and r.get('losses') for r in records)]
    if not methods:
        return False
    fig, axes = plt.subplots(1, len(methods), figsize=(3 * len(methods), 3),
                             squeeze=False)
    for ax, method in zip(axes[0], methods):
        for rec in sorted((r for r in records if r['method'] == method),
                          key=lambda r: r['seed']):
            rows = rec.get('losses') or []
            terms = sorted({k for row in rows for k in row if k != 'iter'})
            for n, term in enumerate(terms):
                pts = [(row['iter'], row[term]) for row in rows if term in row]
                ax.plot(*zip(*pts), color=f'C{n}',
                        linestyle=('-', '--', ':')[rec['seed'] % 3],
                        label=f'{term} s{rec["seed"]}')
        ax.set_title(method, fontsize=9)
        ax.set_xlabel('iteration', fontsize=8)
        ax.tick_params(labelsize=7)
        ax.legend(fontsize=6)
    fig.suptitle('CPU study: logged loss terms (mean over each logging '
                 'interval)', fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return True
