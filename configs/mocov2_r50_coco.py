# MoCo-v2 baseline on DenseCL's COCO data and schedule (800 epochs, lr 0.3).
_base_ = [
    '_base_/models/mocov2_r50.py',
    '_base_/datasets/coco_mocov2.py',
    '_base_/schedules/sgd_coslr-800e_coco.py',
    '_base_/default_runtime.py',
]
