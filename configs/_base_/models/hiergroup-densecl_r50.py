# DenseCL + the HG pixel loss on a hypercolumn beside the dense branch:
# densecl_r50.py's objectives plus Hierarchy. DenseCL's necks and matching
# read layer4; the hypercolumn reads layer3 + layer4.
# (type='HierGroupDenseCL' with hg_neck= / hg_head= / hg_sampler= /
# hg_weight= builds the same model.)
_base_ = ['./densecl_r50.py']

model = dict(
    backbone=dict(out_indices=(3, 4)),
    objectives=[
        dict(type='GlobalContrast', loss_name='loss_single'),
        dict(type='DenseContrast', match='max_sim_backbone'),
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
