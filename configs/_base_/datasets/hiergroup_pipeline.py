# HG's augmentations (paper, sec. 4.2): random resized crop, horizontal flip
# and colour jitter, resized to 224; plus MoCo-v2's random grayscale. Crop and
# flip are applied to the image and its region map alike (nearest neighbour
# for the map) and recorded (crop boxes, flips) for the pixel sampler; colour
# changes touch the image only. The dataset files fill in images and stores.
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
]

train_pipeline = [
    # logs and skips a corrupt image instead of stopping the run
    dict(type='LoadImageOrSkip'),
    # region map + distances from the store; stops on a missing hierarchy or
    # one computed on an image of another size
    dict(type='HGLoadHierarchy'),
    dict(type='HGMultiView', num_views=2, transforms=view_pipeline),
    dict(type='PackHGInputs'),
]

# HG's batch is 70 in total: 2 GPUs x 35 here (1 GPU: batch_size=70;
# `--auto-scale-lr` rescales the lr for other totals).
train_dataloader = dict(
    batch_size=35,
    num_workers=8,
    drop_last=True,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='HierarchyDataset', pipeline=train_pipeline))
