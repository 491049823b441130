# DenseCL, ResNet-50, COCO train2017, 800 epochs, 8 GPUs x 32 (DenseCL's
# COCO setting; VOC det 56.7 AP / VOC seg 67.5 mIoU reported by the paper).
_base_ = [
    '_base_/models/densecl_r50.py',
    '_base_/datasets/coco_mocov2.py',
    '_base_/schedules/sgd_coslr-800e_coco.py',
    '_base_/default_runtime.py',
]
# Speed: channels-last is on (model base); mixed precision with `--amp`.
