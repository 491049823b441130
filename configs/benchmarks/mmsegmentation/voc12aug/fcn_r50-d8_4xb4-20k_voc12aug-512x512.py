# VOC12aug semantic segmentation, DenseCL's protocol: FCN on a dilated
# ResNet-50 (output stride 8), SyncBN, 4 GPUs x 4 = batch 16, 512x512 crops,
# 20k iterations, SGD lr 0.01 poly; train on train_aug, test on val (mIoU).
#
# The backbone is a plain ResNet-50 (7x7 stem), as pre-trained: the base
# config's ResNetV1c (deep 3-conv stem, `open-mmlab://resnet50_v1c`) would
# leave the stem randomly initialised.
# Pre-trained weights: PRETRAINED=<file> (environment) or
# --cfg-options model.backbone.init_cfg.checkpoint=<file>; the full
# pre-training checkpoint or its export both work (`backbone.*` keys).
_base_ = 'mmseg::fcn/fcn_r50-d8_4xb4-20k_voc12aug-512x512.py'

# `import dense_ssl` lets torch's safe loading read a FULL pre-training
# checkpoint (message-hub HistoryBuffers, numpy arrays) in PretrainedInit;
# it allows only those plain-data types (dense_ssl/checkpoint_safety.py).
custom_imports = dict(imports=['dense_ssl'], allow_failed_imports=False)

pretrained = '{{$PRETRAINED:checkpoints/densecl_r50_coco_backbone.pth}}'
model = dict(
    pretrained=None,
    backbone=dict(
        type='ResNet',
        depth=50,
        init_cfg=dict(
            type='Pretrained', checkpoint=pretrained, prefix='backbone.')))
