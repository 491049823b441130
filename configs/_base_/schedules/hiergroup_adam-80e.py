# HG's schedule (paper, sec. 4.2): Adam, lr 1e-2 for a batch of 70, x0.1 at
# epochs 25, 45 and 60, 80 epochs.
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-2))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=True, milestones=[25, 45, 60],
         gamma=0.1)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=80)
auto_scale_lr = dict(base_batch_size=70)
