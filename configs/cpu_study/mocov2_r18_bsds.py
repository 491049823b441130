# CPU study: MoCo-v2, ResNet-18, 128 px, BSDS500 train (200 photos).
# Queue 128 keys = 16 batches of 8: fewer keys than photos, so no photo is
# ever its own negative within one pass (a 65536 queue would hold each photo
# ~330 times).
_base_ = ['../mocov2_r50_coco.py']

model = dict(
    queue_len=128,
    backbone=dict(depth=18),
    neck=dict(in_channels=512, hid_channels=512))
view_pipeline = [
    dict(type='RandomResizedCrop', size=128, scale=(0.2, 1.),
         backend='pillow'),
    *_base_.view_pipeline[1:],
]
train_dataloader = dict(
    batch_size=8,
    num_workers=0,
    persistent_workers=False,
    drop_last=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        data_root='../shared/data/bsds500/images/train',
        ann_file='',
        data_prefix=dict(img_path=''),
        pipeline=[
            dict(type='LoadImageOrSkip'),
            dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
            dict(type='PackSelfSupInputs', meta_keys=['img_path']),
        ]))
optim_wrapper = dict(optimizer=dict(lr=0.03))
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
