# HG's augmentations (paper, sec. 4.2): random resized crop, horizontal flip
# and colour jitter, resized to 224; plus MoCo-v2's random grayscale. Crop and
# flip are applied to the image and its region map alike (nearest neighbour
# for the map) and recorded (crop boxes, flips) for the pixel sampler; colour
# changes touch the image only. The dataset files fill in images and stores.
_base_ = ['./colour_views.py']

view_pipeline = [
    dict(type='HGRandomResizedCropFlip', size=224, scale=(0.2, 1.),
         flip_prob=0.5),
    *_base_.view_pipeline,  # colour jitter, grayscale (colour_views.py)
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
