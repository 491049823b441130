"""Refuse weights of another architecture before ``load_state_dict`` turns
them into a raw size-mismatch traceback (issue 11, item 10)."""
from typing import Mapping


def check_same_shapes(state: Mapping, own: Mapping, path: str,
                      what: str = 'the model of --config') -> None:
    """Every tensor of ``state`` that ``own`` also has must have its shape.

    Raises:
        ValueError: naming the checkpoint, the first differing tensor with
            both shapes and how many differ (e.g. a ResNet-18 checkpoint
            given for a ResNet-50 config).
    """
    differ = [(k, tuple(v.shape), tuple(own[k].shape))
              for k, v in state.items()
              if k in own and hasattr(v, 'shape')
              and tuple(v.shape) != tuple(own[k].shape)]
    if differ:
        key, theirs, ours = differ[0]
        raise ValueError(
            f'--checkpoint {path}: weights of another architecture: '
            f'{len(differ)} tensors differ in shape from {what}, e.g. {key} '
            f'is {theirs} in the checkpoint but {ours} in the model (a '
            'checkpoint of another ResNet depth or width? give the config '
            'it was trained with)')
