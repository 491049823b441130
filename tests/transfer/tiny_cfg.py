"""Shrink a benchmark config to a CPU test: tiny data, 128 px, 2 iterations.

Only data paths, image scales, loader sizes, the schedule length and logging
change; model, init_cfg, optimizer and evaluator stay those of the config.
"""
import os
import os.path as osp
from typing import Any

from mmengine.config import Config

SMALL = {'RandomChoiceResize': dict(scales=[(192, 128)]),
         'Resize': dict(scale=(192, 128)),
         'RandomResize': dict(scale=(256, 128), ratio_range=(0.75, 1.25)),
         'RandomCrop': dict(crop_size=(128, 128)),
         'Pad': dict(size=(128, 128))}


def _shrink_pipelines(node: Any) -> None:
    if isinstance(node, dict):
        if node.get('type') in SMALL:
            node.update(SMALL[node['type']])
        for v in node.values():
            _shrink_pipelines(v)
    elif isinstance(node, list):
        for v in node:
            _shrink_pipelines(v)


def _datasets(loader_cfg: dict) -> list:
    ds = loader_cfg['dataset']
    return ds['datasets'] if ds['type'] == 'ConcatDataset' else [ds]


def tiny_config(config: str, data_root: str, work_dir: str,
                pretrained: str, name: str, iters: int = 2) -> Config:
    """Load ``config`` with PRETRAINED=``pretrained`` and shrink it."""
    os.environ['PRETRAINED'] = pretrained
    try:
        cfg = Config.fromfile(config)
    finally:
        del os.environ['PRETRAINED']
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg[key]
        loader.update(num_workers=0, persistent_workers=False,
                      batch_size=2 if key == 'train_dataloader' else 1)
        for ds in _datasets(loader):
            ds['data_root'] = data_root
        _shrink_pipelines(loader)
    cfg.pop('tta_pipeline', None)
    cfg.pop('tta_model', None)
    if cfg.val_evaluator.get('ann_file'):  # COCO json of the tiny set
        ann = osp.join(data_root, 'annotations', 'instances_val2017.json')
        cfg.val_evaluator.ann_file = cfg.test_evaluator.ann_file = ann
    if cfg.model.get('data_preprocessor', {}).get('size'):  # mmseg pads
        cfg.model.data_preprocessor.size = (128, 128)
    train, test = cfg.model.get('train_cfg'), cfg.model.get('test_cfg')
    if test is not None and 'rcnn' in test:
        # an untrained detector scores every class ~1/num_classes, under the
        # default 0.05: keep its boxes so that the evaluator has some
        test.rcnn.score_thr = 0.0
        # CPU time goes into the RoI head (res5 per RoI in R50-C4): few RoIs
        test.rpn.update(nms_pre=256, max_per_img=32)
        train.rpn_proposal.update(nms_pre=256, max_per_img=64)
        train.rcnn.sampler.num = 32
    # validation is called by the test itself after training
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=iters,
                         val_begin=10**9)
    cfg.default_hooks.checkpoint = None
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=1)
    cfg.default_hooks.pop('visualization', None)
    cfg.log_processor = dict(by_epoch=False)
    cfg.env_cfg.cudnn_benchmark = False
    cfg.work_dir = work_dir
    cfg.experiment_name = name
    cfg.visualizer.name = name  # one visualizer instance per Runner
    cfg.randomness = dict(seed=0)
    return cfg
