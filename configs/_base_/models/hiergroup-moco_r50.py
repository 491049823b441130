# MoCo-v2 + the HG pixel loss on a hypercolumn of the same backbone (the
# paper's "Ours-dagger" variant): mocov2_r50.py's objective plus Hierarchy.
# The MoCo neck reads layer4; the hypercolumn reads layer3 + layer4.
# (type='HierGroupMoCo' with hg_neck= / hg_head= / hg_sampler= / hg_weight=
# builds the same model.)
_base_ = ['./mocov2_r50.py']

model = dict(
    backbone=dict(out_indices=(3, 4)),
    objectives=[
        dict(type='GlobalContrast', loss_name='loss'),
        # HG's settings, as hiergroup_r50.py's neck / head / sampler.
        dict(
            type='Hierarchy',
            neck=dict(
                type='HypercolumnNeck',
                in_channels=(1024, 2048),
                in_strides=(16, 32),
                mid_channels=256,
                out_channels=32,
                out_stride=4),
            head=dict(type='HierarchyLossHead', temperature=1.0),
            sampler=dict(
                num_regions=7,
                anchors_per_region=1,
                num_pos=10,
                num_neg=5,
                num_cns=5,
                sigma_p=0.8),
            weight=1.0),
    ],
)
