"""Build-time checks of model settings, so a bad config fails when the model
is built, naming the setting, instead of deep inside torch on the first step
(issue 11, items 7 and 9)."""
from typing import Optional, Sequence, Tuple


def check_loss_lambda(value, owner: str = 'model') -> float:
    """``loss_lambda`` must lie in [0, 1]: it mixes ``(1 - l) * global +
    l * dense``, outside that range one term gets a negative weight."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise TypeError(f'{owner}: loss_lambda={value!r} is not a number')
    if not 0.0 <= value <= 1.0:
        raise ValueError(
            f'{owner}: loss_lambda={value} must lie in [0, 1] (the loss is '
            '(1 - loss_lambda) * global + loss_lambda * dense)')
    return value


def backbone_out_channels(backbone) -> Optional[Tuple[int, ...]]:
    """Channels of each output of an MMSelfSup / mmcls ResNet, in order.

    None for a backbone this does not know (then nothing is checked).
    MMSelfSup's ResNet counts the stem as index 0 (layer1 is 1), mmcls's
    ResNet starts at layer1 (0).
    """
    names = getattr(backbone, 'res_layers', None)
    indices = getattr(backbone, 'out_indices', None)
    if not names or indices is None:
        return None
    offset = 1 if type(backbone).__module__.startswith('mmselfsup') else 0
    channels = []
    for i in indices:
        j = i - offset
        if not 0 <= j < len(names):
            return None  # the stem or an unknown layout
        last_block = getattr(backbone, names[j])[-1]
        out = getattr(last_block, 'out_channels', None)
        if out is None:
            return None
        channels.append(int(out))
    return tuple(channels)


def check_neck_channels(neck_name: str, neck_in: Sequence[int],
                        backbone_channels: Optional[Sequence[int]]) -> None:
    """``neck_in`` (what the neck was built for) equals the channels of the
    backbone outputs it receives (``backbone_channels``, None: unknown)."""
    if backbone_channels is None:
        return
    neck_in, backbone_channels = tuple(neck_in), tuple(backbone_channels)
    if neck_in != backbone_channels:
        raise ValueError(
            f'{neck_name}.in_channels='
            f'{neck_in if len(neck_in) > 1 else neck_in[0]} does not match '
            'the backbone, whose outputs it receives have '
            f'{backbone_channels} channels (e.g. 2048 for ResNet-50/101 '
            'layer4, 512 for ResNet-18/34): set the neck in_channels to the '
            "backbone's, or the backbone out_indices/depth to the neck's")


def check_num_grid(num_grid) -> None:
    """``num_grid`` of a dense neck: None (the backbone's grid) or >= 1."""
    if num_grid is not None and (not isinstance(num_grid, int)
                                 or num_grid < 1):
        raise ValueError(
            f'neck num_grid={num_grid!r} must be None (keep the backbone '
            'grid) or an int >= 1 (cells per side of the dense grid)')


def neck_in_channels(neck) -> Optional[Tuple[int, ...]]:
    """The input channels a neck was built for; None if not known."""
    channels = getattr(neck, 'in_channels', None)
    if channels is not None:
        return tuple(channels) if isinstance(channels, (list, tuple)) \
            else (int(channels), )
    mlp = getattr(neck, 'mlp', None)  # DenseProjectionNeck, MoCoV2Neck
    first = mlp[0] if mlp is not None and len(mlp) else None
    if first is not None and hasattr(first, 'in_features'):
        return (int(first.in_features), )
    return None


def check_neck_matches_backbone(neck, backbone, neck_name: str = 'neck',
                                last_only: bool = False) -> None:
    """The neck's in_channels equal the backbone's output channels (only
    the last output's with ``last_only``), else a ValueError naming both."""
    neck_in = neck_in_channels(neck)
    channels = backbone_out_channels(backbone)
    if neck_in is None or channels is None:
        return
    if last_only or len(neck_in) == 1:
        channels = channels[-1:]
    check_neck_channels(f'model.{neck_name}', neck_in, channels)
