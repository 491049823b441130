# DenseCL (Wang et al., CVPR 2021) on ResNet-50: MoCo-v2 + a dense projection
# head, dense correspondence by backbone-feature similarity ("max-sim F").
_base_ = ['./resnet50.py']  # backbone, data_preprocessor

model = dict(
    type='DenseCLAlgorithm',
    # channels-last layout: the DenseCL step is 0.828x MMSelfSup's with it,
    # 1.016x without (R50, batch 4, CPU; issue 13); numerics equal to 1e-5
    # (tests/models/test_densecl_parity.py). Set False to compare layouts.
    channels_last=True,
    queue_len=65536,
    feat_dim=128,
    momentum=0.999,
    loss_lambda=0.5,
    temperature=0.2,
    # 'max_sim_backbone' (max-sim F), 'max_sim_projection' (Theta), 'random'
    match='max_sim_backbone',
    neck=dict(
        type='DenseProjectionNeck',
        in_channels=2048,
        hid_channels=2048,
        out_channels=128,
        num_grid=None),
)
