# MoCo-v2 baseline on ResNet-50 (the global branch of DenseCL alone).
model = dict(
    type='MoCoV2Algorithm',
    queue_len=65536,
    feat_dim=128,
    momentum=0.999,
    temperature=0.2,
    data_preprocessor=dict(
        type='SelfSupDataPreprocessor',
        mean=(123.675, 116.28, 103.53),
        std=(58.395, 57.12, 57.375),
        bgr_to_rgb=True),
    backbone=dict(
        type='ResNet',
        depth=50,
        in_channels=3,
        out_indices=[4],
        norm_cfg=dict(type='BN')),
    neck=dict(
        type='MoCoV2Neck',
        in_channels=2048,
        hid_channels=2048,
        out_channels=128,
        with_avg_pool=True),
)
