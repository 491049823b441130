# DenseCL, ResNet-50, ImageNet, 200 epochs, lr 0.03, 8 GPUs x 32.
_base_ = [
    '_base_/models/densecl_r50.py',
    '_base_/datasets/imagenet_mocov2.py',
    '_base_/schedules/sgd_coslr-200e_in1k.py',
    '_base_/default_runtime.py',
]
