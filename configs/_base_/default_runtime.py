# Runtime shared by every dense_ssl pre-training config.
default_scope = 'dense_ssl'
custom_imports = dict(imports=['dense_ssl'], allow_failed_imports=False)

default_hooks = dict(
    runtime_info=dict(type='RuntimeInfoHook'),
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # keep the latest 3 checkpoints; `--resume` continues from the last one
    checkpoint=dict(type='CheckpointHook', interval=10, max_keep_ckpts=3),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    # NaN / Inf loss: stop naming the iteration and term, before any
    # checkpoint of that step; `default_hooks.finite_loss.action=skip` skips
    # such steps instead (docs/reliability_training.md)
    finite_loss=dict(type='FiniteLossHook'),
    # warns when model.queue_len exceeds the number of training images
    queue_length=dict(type='QueueLengthCheckHook'),
)

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    # nccl on GPUs; without CUDA dense_ssl.compat switches to gloo
    dist_cfg=dict(backend='nccl'),
)

log_processor = dict(
    window_size=10,
    custom_cfg=[dict(data_src='', method='mean', window_size='global')])

# TensorBoard: `--cfg-options visualizer.vis_backends.1.enabled=True` (event
# files beside scalars.json in the run's vis_data/; docs/users.md)
vis_backends = [
    dict(type='LocalVisBackend'),
    dict(type='OptionalTensorboardVisBackend', enabled=False),
]
visualizer = dict(
    type='SelfSupVisualizer', vis_backends=vis_backends, name='visualizer')

log_level = 'INFO'
load_from = None
resume = False
# Reproducible when set, e.g. `--cfg-options randomness.seed=0`.
randomness = dict(seed=None, deterministic=False)
