# COCO detection + instance segmentation, DenseCL's protocol (MoCo's
# detectron2 recipe): Mask R-CNN R50-FPN 1x (12 epochs, ~90k iterations at
# 8 GPUs x 2), SyncBN in backbone, FPN and heads (4conv1fc box head),
# multi-scale training 640-800, test at 800.
#
# Pre-trained weights: PRETRAINED=<file> (environment) or
# --cfg-options model.backbone.init_cfg.checkpoint=<file>; the full
# pre-training checkpoint or its export both work (`backbone.*` keys).
_base_ = 'mmdet::mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py'

# `import dense_ssl` lets torch's safe loading read a FULL pre-training
# checkpoint (message-hub HistoryBuffers, numpy arrays) in PretrainedInit;
# it allows only those plain-data types (dense_ssl/checkpoint_safety.py).
custom_imports = dict(imports=['dense_ssl'], allow_failed_imports=False)

pretrained = '{{$PRETRAINED:checkpoints/densecl_r50_coco_backbone.pth}}'
norm_cfg = dict(type='SyncBN', requires_grad=True)
model = dict(
    backbone=dict(
        frozen_stages=-1,
        norm_cfg=norm_cfg,
        norm_eval=False,
        init_cfg=dict(
            type='Pretrained', checkpoint=pretrained, prefix='backbone.')),
    neck=dict(norm_cfg=norm_cfg),
    roi_head=dict(
        bbox_head=dict(type='Shared4Conv1FCBBoxHead', norm_cfg=norm_cfg),
        mask_head=dict(norm_cfg=norm_cfg)))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(
        type='RandomChoiceResize',
        scales=[(1333, 640), (1333, 672), (1333, 704), (1333, 736),
                (1333, 768), (1333, 800)],
        keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
auto_scale_lr = dict(enable=False, base_batch_size=16)
