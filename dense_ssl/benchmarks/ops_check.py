"""Run two of mmcv's compiled ops on a device and check them against values
worked out by hand: ``roi_align`` (mmdet's RoI heads) and ``nms``.

``tools/setup_env.sh`` calls :func:`check_mmcv_ops` after installing (on
``cpu``, and on ``cuda`` when it built the CUDA ops), and
``tools/benchmarks/gpu_check.sh`` as its first step.
"""
import torch


def check_mmcv_ops(device: str = 'cpu') -> str:
    """Raise ``RuntimeError`` naming the op when one is missing or wrong on
    ``device``; return a one-line summary otherwise."""
    try:
        from mmcv.ops import nms, roi_align
    except ImportError as e:  # mmcv-lite or a build without ops
        raise RuntimeError(f'mmcv.ops cannot be imported ({e}): mmcv was '
                           'built without its compiled ops') from e
    if device.startswith('cuda') and not torch.cuda.is_available():
        raise RuntimeError(f'{device} requested but torch sees no CUDA '
                           f'device (torch {torch.__version__})')
    dev = torch.device(device)
    # feature map = its own x coordinate; RoI (0, 0)-(8, 8), 2 x 2 bins,
    # aligned: bin 0 spans x in [-0.5, 3.5], samples at x = 0.5, 2.5 -> 1.5;
    # bin 1 samples at 4.5, 6.5 -> 5.5 (same in every row)
    feat = torch.arange(16.).repeat(1, 2, 16, 1).to(dev)
    rois = torch.tensor([[0., 0., 0., 8., 8.]], device=dev)
    try:
        out = roi_align(feat, rois, (2, 2), 1.0, 2, 'avg', True)
    except Exception as e:
        raise RuntimeError(f'mmcv.ops.roi_align failed on {device}: '
                           f'{type(e).__name__}: {e}') from e
    want = torch.tensor([[1.5, 5.5], [1.5, 5.5]]).expand(1, 2, 2, 2)
    if not torch.allclose(out.cpu(), want, atol=1e-5):
        raise RuntimeError(f'mmcv.ops.roi_align on {device} gave '
                           f'{out.cpu().tolist()}, expected {want.tolist()}')
    # boxes 0 and 1 overlap with IoU 81 / 119 = 0.68 > 0.5: 1 is suppressed
    boxes = torch.tensor([[0., 0., 10., 10.], [1., 1., 11., 11.],
                          [20., 20., 30., 30.]], device=dev)
    scores = torch.tensor([0.9, 0.8, 0.7], device=dev)
    try:
        _, keep = nms(boxes, scores, 0.5)
    except Exception as e:
        raise RuntimeError(f'mmcv.ops.nms failed on {device}: '
                           f'{type(e).__name__}: {e}') from e
    if keep.cpu().tolist() != [0, 2]:
        raise RuntimeError(f'mmcv.ops.nms on {device} kept '
                           f'{keep.cpu().tolist()}, expected [0, 2]')
    return f'mmcv ops roi_align + nms correct on {device}'
