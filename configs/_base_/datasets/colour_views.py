# The colour half of every view pipeline here (MoCo-v2's, which HG uses too):
# colour jitter 0.8 of the time, grayscale 0.2 of the time (kept 3-channel).
# Inherited by mocov2_pipeline.py and hiergroup_pipeline.py, which put their
# crop (and flip / blur) around it and redefine `view_pipeline` as the whole
# per-view pipeline, so no extra key reaches the final config.
# FastColourAug draws the choices of MMSelfSup's
#   RandomApply(ColorJitter(0.4, 0.4, 0.4, 0.1), prob=0.8) +
#   RandomGrayscale(prob=0.2, keep_channels=True,
#                   channel_weights=(0.114, 0.587, 0.2989))
# and applies them with OpenCV on uint8 (docs/data_pipeline.md: same
# distribution, tested against MMSelfSup's; those two steps may replace it).
view_pipeline = [
    dict(
        type='FastColourAug',
        jitter_prob=0.8,
        brightness=0.4,
        contrast=0.4,
        saturation=0.4,
        hue=0.1,
        gray_prob=0.2),
]
