# DenseCL's COCO schedule: 800 epochs, SGD lr 0.3 (batch 256), cosine to 0.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.3, weight_decay=1e-4, momentum=0.9))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=800, by_epoch=True, begin=0, end=800)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=800)
# lr above is for a global batch of 256; `--auto-scale-lr` rescales it.
auto_scale_lr = dict(base_batch_size=256)
