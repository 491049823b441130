"""Run in a FRESH interpreter by test_safe_loading.py: load a full Runner
checkpoint the way mmengine does, with torch's default (safe) loading and no
test-provided safe globals. Prints one JSON line.

  full_ckpt_probe.py loader PLAIN|DENSE_SSL CHECKPOINT EXPORT
      mmengine's CheckpointLoader.load_checkpoint (what Runner --resume,
      load_from and PretrainedInit call); DENSE_SSL imports dense_ssl first.
  full_ckpt_probe.py config mmdet|mmseg CONFIG EXPORT
      a benchmark CONFIG with PRETRAINED=<full checkpoint> (set by the
      caller): its own custom_imports are applied, as the Runner of
      `mim train` does, then the model is built and init_weights() runs
      mmengine's PretrainedInit.
"""
import json
import sys

import torch


def compare(got: dict, export: str) -> dict:
    want = torch.load(export, map_location='cpu',
                      weights_only=True)['state_dict']
    return dict(
        count=len(got), missing=sorted(set(want) - set(got))[:5],
        unexpected=sorted(set(got) - set(want))[:5],
        different=sorted(k for k in set(got) & set(want)
                         if not torch.equal(got[k].cpu(), want[k]))[:5])


def loader(mode: str, checkpoint: str, export: str) -> dict:
    if mode == 'DENSE_SSL':
        import dense_ssl  # noqa: F401
    from mmengine.runner.checkpoint import CheckpointLoader
    try:
        ckpt = CheckpointLoader.load_checkpoint(checkpoint, map_location='cpu')
    except Exception as exc:  # reported, the test decides
        return dict(error=f'{type(exc).__name__}: {exc}')
    hub = ckpt['message_hub']['log_scalars']
    sd = {k: v for k, v in ckpt['state_dict'].items()
          if k.startswith('backbone.')}
    return dict(compare(sd, export), buffers=sorted(
        {type(v).__name__ for v in hub.values()}))


def config(pkg: str, path: str, export: str) -> dict:
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmengine.utils import import_modules_from_strings
    cfg = Config.fromfile(path)
    import_modules_from_strings(**cfg['custom_imports'])
    init_default_scope(pkg)
    if pkg == 'mmdet':
        from mmdet.registry import MODELS
        from mmdet.utils import register_all_modules
    else:
        from mmseg.registry import MODELS
        from mmseg.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    model = MODELS.build(cfg.model)
    model.init_weights()
    # the tensors that come from the pre-trained ResNet, named as exported;
    # in R50-C4, res5 (layer4) is the RoI head's shared head
    got = {'backbone.' + k: v for k, v in model.backbone.state_dict().items()}
    shared = getattr(getattr(model, 'roi_head', None), 'shared_head', None)
    if shared is not None:
        got.update({'backbone.' + k: v for k, v in shared.state_dict().items()
                    if k.startswith('layer4.')})
    return dict(compare(got, export),
                imported=sorted(m for m in ('dense_ssl', 'mmselfsup')
                                if m in sys.modules))


if __name__ == '__main__':
    what, *args = sys.argv[1:]
    print(json.dumps({'loader': loader, 'config': config}[what](*args)))
