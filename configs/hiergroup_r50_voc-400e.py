# HG, ResNet-50 from scratch, PASCAL VOC 2012 train_aug only, 400 epochs,
# Adam lr 1e-2 (x0.1 at 125/225/300), batch 70 = 2 GPUs x 35, 224 px.
_base_ = [
    '_base_/models/hiergroup_r50.py',
    '_base_/datasets/hiergroup_voc.py',
    '_base_/schedules/hiergroup_adam-400e.py',
    '_base_/default_runtime.py',
]
