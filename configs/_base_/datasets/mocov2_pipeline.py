# MoCo-v2 augmentations (two views), shared by the DenseCL and MoCo-v2 configs.
_base_ = ['./colour_views.py']

view_pipeline = [
    dict(
        type='RandomResizedCrop', size=224, scale=(0.2, 1.), backend='pillow'),
    *_base_.view_pipeline,  # colour jitter, grayscale (colour_views.py)
    dict(type='RandomGaussianBlur', sigma_min=0.1, sigma_max=2.0, prob=0.5),
    dict(type='RandomFlip', prob=0.5),
]

train_pipeline = [
    # logs and skips a corrupt image instead of stopping the run
    dict(type='LoadImageOrSkip'),
    dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
    dict(type='PackSelfSupInputs', meta_keys=['img_path'])
]

# 8 GPUs x 32 = 256 in the papers; the queue length must be divisible by
# the global batch (batch_size x GPUs).
train_dataloader = dict(
    batch_size=32,
    num_workers=8,
    drop_last=True,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='UnlabeledImageDataset', pipeline=train_pipeline))
