# DenseCL (Wang et al., CVPR 2021) on ResNet-50: MoCo-v2 + a dense projection
# head, dense correspondence by backbone-feature similarity ("max-sim F").
model = dict(
    type='DenseCLAlgorithm',
    queue_len=65536,
    feat_dim=128,
    momentum=0.999,
    loss_lambda=0.5,
    temperature=0.2,
    # 'max_sim_backbone' (max-sim F), 'max_sim_projection' (Theta), 'random'
    match='max_sim_backbone',
    data_preprocessor=dict(
        type='SelfSupDataPreprocessor',
        mean=(123.675, 116.28, 103.53),
        std=(58.395, 57.12, 57.375),
        bgr_to_rgb=True),
    backbone=dict(
        type='ResNet',
        depth=50,
        in_channels=3,
        out_indices=[4],  # 0: conv-1, x: stage-x
        norm_cfg=dict(type='BN')),
    neck=dict(
        type='DenseProjectionNeck',
        in_channels=2048,
        hid_channels=2048,
        out_channels=128,
        num_grid=None),
)
