# DenseCL + the HG pixel loss on a hypercolumn beside the dense branch.
# DenseCL's necks and matching read layer4; the hypercolumn reads
# layer3 + layer4.
_base_ = ['./densecl_r50.py']

model = dict(
    type='HierGroupDenseCL',
    backbone=dict(out_indices=(3, 4)),
    # hg_neck / hg_head / hg_sampler: HG's settings, as hiergroup_r50.py's
    # neck / head / sampler. Written out again on purpose: a config takes
    # `model` from one base only, and a shared top-level variable would
    # show up as an extra key in every merged config.
    hg_neck=dict(
        type='HypercolumnNeck',
        in_channels=(1024, 2048),
        in_strides=(16, 32),
        mid_channels=256,
        out_channels=32,
        out_stride=4),
    hg_head=dict(type='HierarchyLossHead', temperature=1.0),
    hg_sampler=dict(
        num_regions=7,
        anchors_per_region=1,
        num_pos=10,
        num_neg=5,
        num_cns=5,
        sigma_p=0.8),
    hg_weight=1.0,
)
