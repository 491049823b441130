# DenseCL on a folder of your own images, built on dense_ssl's COCO config.
_base_ = ['../../../configs/densecl_r50_coco.py']

custom_imports = dict(
    imports=['dense_ssl', 'projects.densecl_custom_images.transforms'],
    allow_failed_imports=False)

train_dataloader = dict(
    batch_size=32,
    dataset=dict(
        data_root='data/my_images/', ann_file='',
        data_prefix=dict(img_path=''),
        pipeline=[
            dict(type='LoadImageOrSkip'),
            dict(type='RandomSquareCrop'),
            dict(type='MultiView', num_views=2, transforms=[_base_.view_pipeline]),
            dict(type='PackSelfSupInputs', meta_keys=['img_path'])
        ]))
# a few thousand images: a shorter queue keeps the negatives fresh
model = dict(queue_len=4096)
