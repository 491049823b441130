"""Small model configs shared by the model tests (ResNet-18, tiny necks)."""


def resnet18_cfg() -> dict:
    return dict(type='ResNet', depth=18, in_channels=3, out_indices=[4],
                norm_cfg=dict(type='BN'))


def densecl_neck_cfg(type_: str, num_grid=None) -> dict:
    return dict(type=type_, in_channels=512, hid_channels=64, out_channels=8,
                num_grid=num_grid)
