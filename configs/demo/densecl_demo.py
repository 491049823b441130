# CPU demo: DenseCL on the real photos shipped in scikit-image, scikit-learn
# and imgaug (written to data/demo_photos by tools/prepare_demo_data.py).
# ResNet-18 at 224 px, a few iterations, a log line every iteration.
_base_ = ['../densecl_r50_coco.py']

model = dict(
    queue_len=64,
    backbone=dict(depth=18),
    neck=dict(in_channels=512, hid_channels=512))
train_dataloader = dict(
    batch_size=4,
    num_workers=2,
    persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        data_root='data/demo_photos/', ann_file='',
        data_prefix=dict(img_path='')))
optim_wrapper = dict(optimizer=dict(lr=0.03))
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=20)
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=20, by_epoch=False, begin=0, end=20)
]
default_hooks = dict(
    logger=dict(interval=1),
    checkpoint=dict(interval=10, by_epoch=False, max_keep_ckpts=2))
auto_scale_lr = None
log_processor = dict(by_epoch=False)
randomness = dict(seed=0)
