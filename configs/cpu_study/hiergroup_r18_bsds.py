# CPU study: HG, ResNet-18, 128 px, BSDS500 train with its region trees
# (built by tools/build_hierarchy.py; the study passes the store with
# --cfg-options train_dataloader.dataset.store=DIR). Adam lr 1e-3 as the HG
# demo (the paper's 1e-2 is for batch 70).
_base_ = [
    '../_base_/models/hiergroup_r50.py',
    '../_base_/datasets/hiergroup_pipeline.py',
    '../_base_/schedules/hiergroup_adam-80e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    backbone=dict(depth=18),
    neck=dict(in_channels=(256, 512), mid_channels=64))
view_pipeline = [
    dict(type='HGRandomResizedCropFlip', size=128, scale=(0.2, 1.)),
    *_base_.view_pipeline[1:],
]
train_dataloader = dict(
    batch_size=8,
    num_workers=0,
    persistent_workers=False,
    drop_last=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        data_root='',
        ann_file='',
        data_prefix=dict(img_path='../shared/data/bsds500/images/train'),
        store='data/hier/bsds500_train',
        pipeline=[
            dict(type='LoadImageOrSkip'),
            dict(type='HGLoadHierarchy'),
            dict(type='HGMultiView', num_views=2, transforms=view_pipeline),
            dict(type='PackHGInputs'),
        ]))
optim_wrapper = dict(optimizer=dict(lr=1e-3))
# 300 iterations, cosine to 0 (the study sets another budget with
# --cfg-options train_cfg.max_iters=N param_scheduler.0.T_max=N
# param_scheduler.0.end=N)
study_iters = 300
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop',
                 max_iters=study_iters)
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=study_iters, by_epoch=False,
         begin=0, end=study_iters)
]
default_hooks = dict(
    logger=dict(interval=25),
    checkpoint=dict(interval=study_iters, by_epoch=False, max_keep_ckpts=1))
auto_scale_lr = None
log_processor = dict(by_epoch=False)
randomness = dict(seed=0)
