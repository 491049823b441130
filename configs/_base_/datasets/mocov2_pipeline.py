# MoCo-v2 augmentations (two views), shared by the DenseCL and MoCo-v2 configs.
_base_ = ['./colour_views.py']

view_pipeline = [
    dict(
        type='RandomResizedCrop', size=224, scale=(0.2, 1.), backend='pillow'),
    *_base_.view_pipeline,  # colour jitter, grayscale (colour_views.py)
    dict(type='RandomGaussianBlur', sigma_min=0.1, sigma_max=2.0, prob=0.5),
    dict(type='RandomFlip', prob=0.5),
]

# FastMultiView loads the image and makes both views of view_pipeline in one
# step (JPEG decoded at a reduced scale when both crops allow, crop + resize
# fused, colour on uint8 with OpenCV): the same random choices, 0.3x the CPU
# time of MMSelfSup's MoCo-v2 pipeline (docs/data_pipeline.md). Like
# LoadImageOrSkip it logs and skips a corrupt image. A config that adds
# per-view steps uses LoadImageOrSkip + MultiView(view_pipeline) instead.
train_pipeline = [
    dict(
        type='FastMultiView',
        num_views=2,
        size=224,
        scale=(0.2, 1.),
        jitter_prob=0.8,
        brightness=0.4,
        contrast=0.4,
        saturation=0.4,
        hue=0.1,
        gray_prob=0.2,
        blur_prob=0.5,
        blur_sigma=(0.1, 2.0),
        flip_prob=0.5),
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
