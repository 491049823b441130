# DenseCL (Wang et al., CVPR 2021) on ResNet-50: MoCo-v2's global InfoNCE +
# a dense InfoNCE between matched cells of a dense projection head, dense
# correspondence by backbone-feature similarity ("max-sim F").
# (type='DenseCLAlgorithm' with match= / loss_lambda= builds the same model.)
_base_ = ['./resnet50.py']  # backbone, data_preprocessor

model = dict(
    type='MomentumContrast',
    # channels-last layout: the DenseCL step is 0.828x MMSelfSup's with it,
    # 1.016x without (R50, batch 4, CPU; issue 13); numerics equal to 1e-5
    # (tests/models/test_densecl_parity.py). Set False to compare layouts.
    channels_last=True,
    queue_len=65536,
    feat_dim=128,
    momentum=0.999,
    temperature=0.2,
    # (1 - loss_lambda) * loss_single + loss_lambda * loss_dense
    loss_lambda=0.5,
    neck=dict(
        type='DenseProjectionNeck',
        in_channels=2048,
        hid_channels=2048,
        out_channels=128,
        num_grid=None),
    objectives=[
        dict(type='GlobalContrast', loss_name='loss_single'),  # queue
        # match: 'max_sim_backbone' (max-sim F), 'max_sim_projection'
        # (Theta), 'random', 'geometric' (crop boxes; needs a pipeline that
        # records them, see configs/densecl-geometric_r50_coco.py)
        dict(type='DenseContrast', match='max_sim_backbone'),  # queue2
    ],
)
