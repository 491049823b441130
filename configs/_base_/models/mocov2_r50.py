# MoCo-v2 baseline on ResNet-50 (the global branch of DenseCL alone):
# the momentum-contrast model with one objective, the global InfoNCE.
# (type='MoCoV2Algorithm' without `objectives` builds the same model.)
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
    neck=dict(
        type='MoCoV2Neck',
        in_channels=2048,
        hid_channels=2048,
        out_channels=128,
        with_avg_pool=True),
    objectives=[dict(type='GlobalContrast', loss_name='loss')],
)
