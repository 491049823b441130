# VOC12aug semantic segmentation on FROZEN features, HG's protocol (Zhang &
# Maire 2020, Table 1): only a DeepLab-v3 ASPP head is trained on the frozen
# pre-trained ResNet-50; SGD lr 0.03, momentum 0.9, weight decay 5e-4,
# batch 20 (4 GPUs x 5), 20k iterations, lr x0.1 at 10k and 15k, random
# 384x384 crops; train on train_aug, test on val (mIoU).
# The ResNet-50 is dilated (output stride 8) as in mmseg's DeepLab-v3: HG
# does not say which stride its head saw; dilation changes no weight.
#
# Frozen = `frozen_stages=4` (stem and the four stages: requires_grad=False
# and eval mode, so BN statistics stay) + `norm_eval=True`; no auxiliary head
# (it would sit on the frozen layer3 and train nothing of the backbone).
# Pre-trained weights: PRETRAINED=<file> (environment) or
# --cfg-options model.backbone.init_cfg.checkpoint=<file>.
_base_ = 'mmseg::deeplabv3/deeplabv3_r50-d8_4xb4-20k_voc12aug-512x512.py'

# `import dense_ssl` lets torch's safe loading read a FULL pre-training
# checkpoint (message-hub HistoryBuffers, numpy arrays) in PretrainedInit;
# it allows only those plain-data types (dense_ssl/checkpoint_safety.py).
custom_imports = dict(imports=['dense_ssl'], allow_failed_imports=False)

pretrained = '{{$PRETRAINED:checkpoints/densecl_r50_coco_backbone.pth}}'
crop_size = (384, 384)
model = dict(
    pretrained=None,
    data_preprocessor=dict(size=crop_size),
    backbone=dict(
        type='ResNet',
        depth=50,
        frozen_stages=4,
        norm_eval=True,
        init_cfg=dict(
            type='Pretrained', checkpoint=pretrained, prefix='backbone.')),
    decode_head=dict(num_classes=21),
    auxiliary_head=None)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(
        type='RandomResize',
        scale=(2048, 512),
        ratio_range=(0.5, 2.0),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs')
]
dataset_type = 'PascalVOCDataset'
data_root = 'data/VOCdevkit/VOC2012'
train_dataloader = dict(
    batch_size=5,
    dataset=dict(
        _delete_=True,
        type='ConcatDataset',
        datasets=[
            dict(
                type=dataset_type,
                data_root=data_root,
                data_prefix=dict(
                    img_path='JPEGImages', seg_map_path='SegmentationClass'),
                ann_file='ImageSets/Segmentation/train.txt',
                pipeline=train_pipeline),
            dict(
                type=dataset_type,
                data_root=data_root,
                data_prefix=dict(
                    img_path='JPEGImages',
                    seg_map_path='SegmentationClassAug'),
                ann_file='ImageSets/Segmentation/aug.txt',
                pipeline=train_pipeline)
        ]))

optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.03, momentum=0.9, weight_decay=0.0005))
param_scheduler = [
    dict(
        type='MultiStepLR',
        begin=0,
        end=20000,
        by_epoch=False,
        milestones=[10000, 15000],
        gamma=0.1)
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=20000, val_interval=2000)
