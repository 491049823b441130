# The ResNet-50 and the input normalisation (ImageNet mean / std, BGR -> RGB)
# every model here starts from. The algorithm files (mocov2_r50.py,
# densecl_r50.py, hiergroup_r50.py) inherit it and add the type, necks and
# heads; those that also read layer3 set backbone.out_indices=(3, 4).
model = dict(
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
)
