# MoCo-v2's augmentations (as configs/_base_/datasets/mocov2_pipeline.py:
# crop, jitter, grayscale, blur, flip) with the region maps carried along, for
# the MoCo-v2 + HG and DenseCL + HG variants.
_base_ = ['./hiergroup_pipeline.py']

# hiergroup_pipeline.py's views (HG crop + flip, colour_views.py's jitter and
# grayscale) plus MoCo-v2's blur.
view_pipeline = [
    *_base_.view_pipeline,
    dict(type='RandomGaussianBlur', sigma_min=0.1, sigma_max=2.0, prob=0.5),
]

# hiergroup_pipeline.py's steps, listed again so that they take these views
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
