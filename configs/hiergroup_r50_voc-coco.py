# HG (Zhang & Maire, NeurIPS 2020), the paper's main setting: ResNet-50 from
# scratch, PASCAL train_aug + COCO train2014, 80 epochs, Adam lr 1e-2 (x0.1 at
# 25/45/60), batch 70 = 2 GPUs x 35, 224 px, 7 regions x (10 pos, 5 neg) +
# 5 cross-image negatives, sigma_p 0.8. Paper: 46.51 VOC val mIoU (frozen
# backbone + ASPP). Needs the two hierarchy stores: see
# _base_/datasets/hiergroup_voc-coco.py.
_base_ = [
    '_base_/models/hiergroup_r50.py',
    '_base_/datasets/hiergroup_voc-coco.py',
    '_base_/schedules/hiergroup_adam-80e.py',
    '_base_/default_runtime.py',
]
