# The colour half of every view pipeline here (MoCo-v2's, which HG uses too):
# colour jitter 0.8 of the time, grayscale 0.2 of the time (kept 3-channel).
# Inherited by mocov2_pipeline.py and hiergroup_pipeline.py, which put their
# crop (and flip / blur) around it and redefine `view_pipeline` as the whole
# per-view pipeline, so no extra key reaches the final config.
view_pipeline = [
    dict(
        type='RandomApply',
        transforms=[
            dict(
                type='ColorJitter',
                brightness=0.4,
                contrast=0.4,
                saturation=0.4,
                hue=0.1)
        ],
        prob=0.8),
    dict(
        type='RandomGrayscale',
        prob=0.2,
        keep_channels=True,
        channel_weights=(0.114, 0.587, 0.2989)),
]
