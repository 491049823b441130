# HG (Zhang & Maire, NeurIPS 2020) on ResNet-50, from scratch: a hypercolumn
# of layer3 + layer4 (3x3 Conv-BN-ReLU to 256 each, upsampled to stride 4,
# concatenated, 3x3 conv to a 32-d embedding), trained with the pixel
# contrastive loss whose positives / negatives are drawn from the image's
# region tree (sec. 3 and 4.2 of the paper).
_base_ = ['./resnet50.py']  # backbone, data_preprocessor

model = dict(
    type='HierGroup',
    backbone=dict(out_indices=(3, 4)),  # layer3 (stride 16), layer4 (32)
    neck=dict(
        type='HypercolumnNeck',
        in_channels=(1024, 2048),
        in_strides=(16, 32),
        mid_channels=256,
        out_channels=32,
        out_stride=4),
    head=dict(type='HierarchyLossHead', temperature=1.0),
    # per image: 7 anchor regions, 10 positives and 5 negatives each, 5
    # cross-image negatives (cns), sigma_p = 0.8 (paper, sec. 4.2)
    sampler=dict(
        num_regions=7,
        anchors_per_region=1,
        num_pos=10,
        num_neg=5,
        num_cns=5,
        sigma_p=0.8),
)
