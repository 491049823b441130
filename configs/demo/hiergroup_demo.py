# CPU demo of HG on the real photos shipped in scikit-image, scikit-learn and
# imgaug (tools/prepare_demo_data.py -> data/demo_photos), whose hierarchies
# tools/build_hierarchy.py wrote to work_dirs/demo/hierarchies (tools/demo.py
# does both). ResNet-18 at 128 px, 20 iterations, a log line every iteration.
_base_ = [
    '../_base_/models/hiergroup_r50.py',
    '../_base_/datasets/hiergroup_pipeline.py',
    '../_base_/schedules/hiergroup_adam-80e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    backbone=dict(depth=18),
    neck=dict(in_channels=(256, 512), mid_channels=64))
# HG's views at 128 px: the crop here, then hiergroup_pipeline.py's colour
# transforms (colour_views.py)
view_pipeline = [
    dict(type='HGRandomResizedCropFlip', size=128, scale=(0.2, 1.)),
    *_base_.view_pipeline[1:],
]
train_dataloader = dict(
    batch_size=4,
    num_workers=2,
    persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        data_root='',
        ann_file='',
        data_prefix=dict(img_path='data/demo_photos/'),
        store='work_dirs/demo/hierarchies',
        pipeline=[
            dict(type='LoadImageOrSkip'),
            dict(type='HGLoadHierarchy'),
            dict(type='HGMultiView', num_views=2, transforms=view_pipeline),
            dict(type='PackHGInputs'),
        ]))
optim_wrapper = dict(optimizer=dict(lr=1e-3))
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=20)
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=False, milestones=[15], gamma=0.1)
]
default_hooks = dict(
    logger=dict(interval=1),
    checkpoint=dict(interval=10, by_epoch=False, max_keep_ckpts=2))
auto_scale_lr = None
randomness = dict(seed=0)
log_processor = dict(by_epoch=False)
