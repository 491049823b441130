# CPU study: MoCo-v2 + HG pixel loss, ResNet-18, 128 px, BSDS500 train with
# its region trees (store passed by the study), queue 128 (mocov2_r18_bsds.py).
_base_ = [
    '../_base_/models/hiergroup-moco_r50.py',
    '../_base_/datasets/hiergroup_mocov2_pipeline.py',
    '../_base_/schedules/sgd_coslr-800e_coco.py',
    '../_base_/default_runtime.py',
]

model = dict(
    queue_len=128,
    backbone=dict(depth=18),
    neck=dict(in_channels=512, hid_channels=512),
    # the base's objectives with the hypercolumn sized for ResNet-18
    # (layer3 / layer4 have 256 / 512 channels; 64 mid channels as the HG
    # study config); a list replaces the base's whole list
    objectives=[
        dict(type='GlobalContrast', loss_name='loss'),
        dict(_base_.model.objectives[-1],
             neck=dict(type='HypercolumnNeck', in_channels=(256, 512),
                       in_strides=(16, 32), mid_channels=64,
                       out_channels=32, out_stride=4)),
    ])
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
