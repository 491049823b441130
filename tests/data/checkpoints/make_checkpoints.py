"""Write the tiny checkpoints of tests/data/checkpoints (run once, from main).

    PYTHONPATH=. python tests/data/checkpoints/make_checkpoints.py

- ``mmselfsup1.0.0_densecl.pth``: MMSelfSup 1.0.0's own ``DenseCL`` (the
  installed package's class), one SGD step on a fixed batch, so queues,
  pointers and ``encoder_k.steps`` are not at their initial values.
- ``main_<Type>.pth``: the same for dense_ssl's algorithms as they were on
  main before issue 10 (commit written into ``meta``).

Each file also stores ``meta['probe']``: the fixed input batch and what the
model produced on it after loading (backbone outputs and, under a fixed
seed, the loss terms of one more step), so a later model can be checked to
give identical outputs from the same weights.
"""
import os
import subprocess

import torch

HERE = os.path.dirname(os.path.abspath(__file__))

BACKBONE = dict(type='ResNet', depth=18, in_channels=3, base_channels=2,
                stem_channels=2, out_indices=[4], norm_cfg=dict(type='BN'))
DENSE_NECK = dict(in_channels=16, hid_channels=16, out_channels=8,
                  num_grid=None)
MOCO_NECK = dict(type='MoCoV2Neck', in_channels=16, hid_channels=16,
                 out_channels=8, with_avg_pool=True)
HG = dict(hg_neck=dict(type='HypercolumnNeck', in_channels=(8, 16),
                       in_strides=(16, 32), mid_channels=8, out_channels=4,
                       out_stride=4),
          hg_sampler=dict(num_regions=3, num_pos=4, num_neg=2, num_cns=2))
COMMON = dict(queue_len=8, feat_dim=8, momentum=0.99)


def model_cfgs() -> dict:
    hg_backbone = dict(BACKBONE, out_indices=(3, 4))
    return {
        'mmselfsup1.0.0_densecl': dict(
            type='mmselfsup.DenseCL', backbone=BACKBONE,
            neck=dict(type='mmselfsup.DenseCLNeck', **DENSE_NECK),
            head=dict(type='mmselfsup.ContrastiveHead',
                      loss=dict(type='mmcls.CrossEntropyLoss'),
                      temperature=0.2),
            loss_lambda=0.5, **COMMON),
        'main_DenseCLAlgorithm': dict(
            type='DenseCLAlgorithm', backbone=BACKBONE,
            neck=dict(type='DenseProjectionNeck', **DENSE_NECK),
            temperature=0.2, **COMMON),
        'main_MoCoV2Algorithm': dict(
            type='MoCoV2Algorithm', backbone=BACKBONE, neck=MOCO_NECK,
            temperature=0.2, **COMMON),
        'main_HierGroupMoCo': dict(
            type='HierGroupMoCo', backbone=hg_backbone, neck=MOCO_NECK,
            temperature=0.2, **HG, **COMMON),
        'main_HierGroupDenseCL': dict(
            type='HierGroupDenseCL', backbone=hg_backbone,
            neck=dict(type='DenseProjectionNeck', **DENSE_NECK),
            temperature=0.2, **HG, **COMMON),
        'main_HierGroup': dict(
            type='HierGroup', backbone=hg_backbone, neck=HG['hg_neck'],
            sampler=HG['hg_sampler']),
    }


def probe_batch():
    """Two 64 px views of 2 images with HG targets (fixed, no files).

    Pixels are multiples of 1/32 in [-4, 4) so they are stored exactly as
    int8 (``meta['inputs_x32']``); labels as uint8.
    """
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        'fp', os.path.join(HERE, '..', '..', '..', 'tools', 'benchmarks',
                           'two_step_fingerprint.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    inputs, samples = module.fabricated_batch(n=2, size=64, seed=1)
    inputs = [(x * 32).round().clamp(-128, 127) / 32 for x in inputs]
    return inputs, samples


def probe(model, inputs, samples) -> dict:
    """Backbone outputs and, under seed 0, one step's loss terms."""
    model.train()
    with torch.no_grad():
        feats = [f.clone() for f in model.extract_feat(inputs)]
    torch.manual_seed(0)
    losses = {k: v.detach().clone() for k, v in
              model.loss([x.clone() for x in inputs], samples).items()}
    return dict(extract_feat=feats, losses=losses)


def build(cfg):
    from mmengine.registry import DefaultScope

    import dense_ssl  # noqa: F401
    from dense_ssl.registry import MODELS, SCOPE
    with DefaultScope.overwrite_default_scope(SCOPE):
        return MODELS.build(cfg)


def main():
    commit = subprocess.run(['git', 'rev-parse', 'HEAD'], capture_output=True,
                            text=True, cwd=HERE).stdout.strip()
    inputs, samples = probe_batch()
    for name, cfg in model_cfgs().items():
        torch.manual_seed(0)
        model = build(cfg).train()
        opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        torch.manual_seed(1)
        losses = model.loss([x.clone() for x in inputs], samples)
        opt.zero_grad()
        sum(v for k, v in losses.items() if 'loss' in k).backward()
        opt.step()
        state = {k: v.clone() for k, v in model.state_dict().items()}
        meta = dict(cfg=cfg, dense_ssl_commit=commit,
                    inputs_x32=[(x * 32).to(torch.int8) for x in inputs],
                    samples=[{k: (ds.get(k).to(torch.uint8)
                                  if k == 'hg_labels' else ds.get(k))
                              for k in ds.keys()} for ds in samples],
                    probe=probe(model, inputs, samples))
        if name.startswith('mmselfsup'):
            import mmselfsup
            meta['mmselfsup_version'] = mmselfsup.__version__
        path = os.path.join(HERE, name + '.pth')
        torch.save(dict(meta=meta, state_dict=state), path)
        print(f'{path}: {os.path.getsize(path) / 1024:.0f} KiB, '
              f'{len(state)} keys')


if __name__ == '__main__':
    main()
