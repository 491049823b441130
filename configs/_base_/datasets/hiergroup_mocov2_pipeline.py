# MoCo-v2's augmentations (as configs/_base_/datasets/mocov2_pipeline.py:
# crop, jitter, grayscale, blur, flip) with the region maps carried along, for
# the MoCo-v2 + HG and DenseCL + HG variants.
_base_ = ['./hiergroup_pipeline.py']

view_pipeline = [
    dict(type='HGRandomResizedCropFlip', size=224, scale=(0.2, 1.),
         flip_prob=0.5),
    dict(
        type='RandomApply',
        transforms=[
            dict(
                type='ColorJitter',
                brightness=0.4,
                contrast=0.4,
                saturation=0.4,
                hue=0.1)
        ],
        prob=0.8),
    dict(
        type='RandomGrayscale',
        prob=0.2,
        keep_channels=True,
        channel_weights=(0.114, 0.587, 0.2989)),
    dict(type='RandomGaussianBlur', sigma_min=0.1, sigma_max=2.0, prob=0.5),
]

train_pipeline = [
    dict(type='LoadImageOrSkip'),
    dict(type='HGLoadHierarchy'),
    dict(type='HGMultiView', num_views=2, transforms=view_pipeline),
    dict(type='PackHGInputs'),
]

# 8 GPUs x 32 = 256 as MoCo-v2 / DenseCL; the queue length must be divisible
# by the global batch.
train_dataloader = dict(
    batch_size=32,
    dataset=dict(type='HierarchyDataset', pipeline=train_pipeline))
