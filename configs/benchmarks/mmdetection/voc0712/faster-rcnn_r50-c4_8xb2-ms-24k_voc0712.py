# VOC07+12 detection, DenseCL's protocol (MoCo's detectron2 R50-C4 recipe):
# Faster R-CNN R50-C4, SyncBN everywhere (backbone, res5 head and the extra
# norm after it), 8 GPUs x 2 = batch 16, lr 0.02, 24k iterations, steps at
# 18k / 22k, 100-iteration warm-up, multi-scale training 480-800, test at
# 800; trained on 07+12 trainval, tested on 07 test. AP = mean of the VOC07
# (11-point) AP over IoU 0.5:0.95, as detectron2 reports it.
#
# Pre-trained weights: PRETRAINED=<file> (environment) or
# --cfg-options model.backbone.init_cfg.checkpoint=<file>
# model.roi_head.shared_head.init_cfg.checkpoint=<file>. Either the full
# pre-training checkpoint or the export of
# tools/model_converters/extract_backbone.py: both hold `backbone.*` keys.
_base_ = 'mmdet::pascal_voc/faster-rcnn_r50-caffe-c4_ms-18k_voc0712.py'

pretrained = '{{$PRETRAINED:checkpoints/densecl_r50_coco_backbone.pth}}'
norm_cfg = dict(type='SyncBN', requires_grad=True)
model = dict(
    # torchvision-style (RGB, ImageNet mean/std), as in pre-training; the base
    # config's caffe preprocessing (BGR, std 1) would not match the weights
    data_preprocessor=dict(
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    backbone=dict(
        frozen_stages=-1,
        norm_cfg=norm_cfg,
        norm_eval=False,
        style='pytorch',
        init_cfg=dict(
            type='Pretrained', checkpoint=pretrained, prefix='backbone.')),
    roi_head=dict(
        shared_head=dict(
            # res5 + a norm on its output (detectron2's Res5ROIHeadsExtraNorm)
            type='ResLayerExtraNorm',
            norm_cfg=norm_cfg,
            norm_eval=False,
            style='pytorch',
            # res5 is layer4 of the pre-trained ResNet: the same file and
            # prefix load `backbone.layer4.*` into it (the rest is ignored)
            init_cfg=dict(
                type='Pretrained', checkpoint=pretrained,
                prefix='backbone.')),
        bbox_head=dict(num_classes=20)))
# `import dense_ssl` lets torch's safe loading read a FULL pre-training
# checkpoint (message-hub HistoryBuffers, numpy arrays) in PretrainedInit;
# it allows only those plain-data types (dense_ssl/checkpoint_safety.py).
custom_imports = dict(
    imports=['dense_ssl', 'mmselfsup.models.utils.res_layer_extra_norm'],
    allow_failed_imports=False)

max_iters = 24000
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
param_scheduler = [
    dict(
        type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=100),
    dict(
        type='MultiStepLR',
        begin=0,
        end=max_iters,
        by_epoch=False,
        milestones=[18000, 22000],
        gamma=0.1)
]
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=0.0001))
# lr 0.02 is for batch 16; `--auto-scale-lr` rescales it on other set-ups
auto_scale_lr = dict(enable=False, base_batch_size=16)

val_evaluator = dict(
    type='VOCMetric',
    metric='mAP',
    eval_mode='11points',
    iou_thrs=[0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95])
test_evaluator = val_evaluator
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=4000))
