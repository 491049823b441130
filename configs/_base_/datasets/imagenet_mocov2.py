# ImageNet train images (every image below train/, labels unused).
_base_ = ['./mocov2_pipeline.py']

data_root = 'data/imagenet/'
train_dataloader = dict(
    dataset=dict(
        data_root=data_root, ann_file='', data_prefix=dict(img_path='train/')))
