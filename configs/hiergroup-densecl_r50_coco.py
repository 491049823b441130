# DenseCL + HG pixel loss on a hypercolumn, ResNet-50, COCO train2017,
# DenseCL's COCO schedule (800 epochs, SGD lr 0.3, cosine, batch 256 =
# 8 GPUs x 32). Needs data/hier/coco_train2017
# (see _base_/datasets/hiergroup_coco_mocov2.py).
_base_ = [
    '_base_/models/hiergroup-densecl_r50.py',
    '_base_/datasets/hiergroup_coco_mocov2.py',
    '_base_/schedules/sgd_coslr-800e_coco.py',
    '_base_/default_runtime.py',
]
