# MoCo-v2 + HG pixel loss (the paper's "Ours-dagger" direction), ResNet-50,
# ImageNet train, 200 epochs, MoCo-v2's schedule (SGD lr 0.03, cosine,
# batch 256 = 8 GPUs x 32). Needs data/hier/imagenet_train
# (see _base_/datasets/hiergroup_in1k_mocov2.py).
_base_ = [
    '_base_/models/hiergroup-moco_r50.py',
    '_base_/datasets/hiergroup_in1k_mocov2.py',
    '_base_/schedules/sgd_coslr-200e_in1k.py',
    '_base_/default_runtime.py',
]
