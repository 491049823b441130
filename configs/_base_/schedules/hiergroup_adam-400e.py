# HG's schedule stretched to 400 epochs for PASCAL train_aug alone: 400 x
# 10,582 = 4.2M samples (the paper's 80 epochs of PASCAL + COCO are 7.5M).
# Adam lr 1e-2 (batch 70), x0.1 at the paper's fractions of training
# (25/80, 45/80, 60/80 -> epochs 125, 225, 300).
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-2))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=True, milestones=[125, 225, 300],
         gamma=0.1)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=400)
auto_scale_lr = dict(base_batch_size=70)
