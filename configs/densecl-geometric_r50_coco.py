# DenseCL whose dense positives come from the crop geometry (PixPro /
# VICRegL style) instead of feature similarity: each query cell's positive
# is the key cell covering the same image point; cells outside the key view
# are left out (their share is logged as dense_covered). ResNet-50, COCO,
# DenseCL's COCO schedule, as densecl_r50_coco.py otherwise.
_base_ = [
    '_base_/models/densecl_r50.py',
    '_base_/datasets/coco_mocov2_geometry.py',
    '_base_/schedules/sgd_coslr-800e_coco.py',
    '_base_/default_runtime.py',
]

model = dict(objectives=[
    dict(type='GlobalContrast', loss_name='loss_single'),
    dict(type='DenseContrast', match='geometric'),
])
