# DenseCL with a pipeline free of random augmentation, so that a run and a
# killed-then-resumed run see exactly the same data (for the resume test).
_base_ = ['../../../configs/densecl_r50_coco.py']

view_pipeline = [dict(type='Resize', scale=(96, 96))]
train_dataloader = dict(
    sampler=dict(type='DefaultSampler', shuffle=True, seed=0),
    dataset=dict(pipeline=[
        dict(type='LoadImageOrSkip'),
        dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
        dict(type='PackSelfSupInputs', meta_keys=['img_path'])
    ]))
randomness = dict(seed=0, deterministic=True)
