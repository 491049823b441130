# coco_mocov2.py with views that record their crop box and flip (for
# DenseContrast(match='geometric')): HG's crop + flip (the one view-geometry
# convention, dense_ssl/models/sampling/view_geometry.py) instead of
# MMSelfSup's RandomResizedCrop / RandomFlip, then MoCo-v2's colour and blur.
_base_ = ['./coco_mocov2.py']

view_pipeline = [
    dict(type='HGRandomResizedCropFlip', size=224, scale=(0.2, 1.)),
    *_base_.view_pipeline[1:-1],  # colour jitter, grayscale, blur
]
train_pipeline = [
    dict(type='LoadImageOrSkip'),
    dict(type='HGMultiView', num_views=2, transforms=view_pipeline),
    dict(type='PackHGInputs', meta_keys=['img_path']),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
