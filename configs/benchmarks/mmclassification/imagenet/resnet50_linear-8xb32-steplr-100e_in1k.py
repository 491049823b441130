# ImageNet linear classification on FROZEN features, MMSelfSup 1.x's MoCo
# protocol (mmselfsup configs/benchmarks/classification/imagenet/
# resnet50_linear-8xb32-steplr-100e_in1k.py), on stock mmcls bases: a linear
# head on the global-average-pooled layer4 of a frozen ResNet-50, SGD lr 30,
# momentum 0.9, no weight decay, batch 256 (8 GPUs x 32), 100 epochs, lr x0.1
# at 60 and 80; RandomResizedCrop 224 + flip; test: short side 256, centre
# crop 224; top-1 / top-5.
# Frozen = frozen_stages=4 (requires_grad=False, eval mode: BN statistics
# stay) + norm_eval=True. Pre-trained weights: PRETRAINED=<file> (an export of
# tools/model_converters/extract_backbone.py or a full pre-training
# checkpoint) or --cfg-options model.backbone.init_cfg.checkpoint=<file>.
_base_ = [
    'mmcls::_base_/models/resnet50.py',
    'mmcls::_base_/datasets/imagenet_bs32_pil_resize.py',
    'mmcls::_base_/schedules/imagenet_bs256.py',
    'mmcls::_base_/default_runtime.py',
]
# `import dense_ssl`: safe loading of full pre-training checkpoints
custom_imports = dict(imports=['dense_ssl'], allow_failed_imports=False)

pretrained = '{{$PRETRAINED:checkpoints/densecl_r50_coco_backbone.pth}}'
model = dict(
    backbone=dict(
        frozen_stages=4,
        norm_eval=True,
        init_cfg=dict(
            type='Pretrained', checkpoint=pretrained, prefix='backbone.')))

optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=30., momentum=0.9, weight_decay=0.))
param_scheduler = dict(
    type='MultiStepLR', by_epoch=True, milestones=[60, 80], gamma=0.1)
train_cfg = dict(by_epoch=True, max_epochs=100, val_interval=10)
default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', interval=10, max_keep_ckpts=3))
