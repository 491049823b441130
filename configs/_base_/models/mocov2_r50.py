# MoCo-v2 baseline on ResNet-50 (the global branch of DenseCL alone).
_base_ = ['./resnet50.py']  # backbone, data_preprocessor

model = dict(
    type='MoCoV2Algorithm',
    queue_len=65536,
    feat_dim=128,
    momentum=0.999,
    temperature=0.2,
    neck=dict(
        type='MoCoV2Neck',
        in_channels=2048,
        hid_channels=2048,
        out_channels=128,
        with_avg_pool=True),
)
