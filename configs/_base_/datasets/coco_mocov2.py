# COCO train2017 images (labels unused), MoCo-v2 two-view augmentations.
_base_ = ['./mocov2_pipeline.py']

data_root = 'data/coco/'
train_dataloader = dict(
    dataset=dict(
        data_root=data_root,
        ann_file='annotations/instances_train2017.json',
        data_prefix=dict(img_path='train2017/')))
