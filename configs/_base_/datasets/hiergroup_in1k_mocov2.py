# ImageNet train images (every image below train/, labels unused) with their
# hierarchy store, MoCo-v2 augmentations:
#   python tools/build_hierarchy.py data/imagenet/train \
#       --out data/hier/imagenet_train --workers 32
# (ids are paths relative to train/, e.g. n01440764/n01440764_10026.JPEG).
_base_ = ['./hiergroup_mocov2_pipeline.py']

train_dataloader = dict(
    dataset=dict(
        data_root='data/imagenet/',
        ann_file='',
        data_prefix=dict(img_path='train/'),
        store='data/hier/imagenet_train'))
