"""tools/visualize_correspondence.py: crop geometry, matching, PNG output."""
import numpy as np
import pytest
import torch
import visualize_correspondence as vc  # tools/ is on sys.path (conftest)


def test_crop_geometry_round_trip_and_flip():
    crop = vc.Crop(top=10, left=20, height=100, width=50, flip=True)
    # view pixel (0, 0) of a flipped view is the box's top-right corner
    x, y = crop.to_image(np.array([0.0]), np.array([0.0]), 200)
    assert (x[0], y[0]) == (70.0, 10.0)
    u, v = crop.from_image(x, y, 200)
    assert (u[0], v[0]) == (0.0, 0.0)


def test_geometric_error_of_mirrored_views():
    # view 2 = view 1 flipped: cell (r, c) truly corresponds to (r, G-1-c)
    grid, size = 4, 64
    crops = (vc.Crop(0, 0, 64, 64, False), vc.Crop(0, 0, 64, 64, True))
    i = np.arange(grid * grid)
    mirrored = (i // grid) * grid + (grid - 1 - i % grid)
    assert np.all(vc.geometric_error(i, mirrored, crops, grid, size) == 0)
    same = vc.geometric_error(i, i, crops, grid, size)
    assert same.max() == grid - 1  # off by up to 3 cells without the flip


def test_mutual_matches_thresholds_and_mutuality():
    # cells of view 1: e0, e1; view 2: e0, (e0+e1)/|.|, e1 -> mutual pairs
    # (0,0) with cos 1 and (1,2) with cos 1; the middle cell is nobody's.
    e0, e1 = torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0])
    mid = torch.nn.functional.normalize(e0 + e1, dim=0)
    f1 = torch.stack([e0, e1], dim=1).view(2, 1, 2)
    f2 = torch.stack([e0, mid, e1], dim=1).view(2, 1, 3)
    i, j, sim = vc.mutual_matches(f1, f2, 0.9)
    assert i.tolist() == [0, 1] and j.tolist() == [0, 2]
    assert sim.tolist() == pytest.approx([1.0, 1.0])
    assert len(vc.mutual_matches(f1, f2, 1.0)[0]) == 0  # strict threshold


def test_end_to_end_png_and_safe_checkpoint(tmp_path, capsys):
    from mmengine.config import Config  # noqa: F401

    import dense_ssl  # noqa: F401
    cfg = tmp_path / 'r18.py'
    cfg.write_text("model = dict(backbone=dict(type='ResNet', depth=18, "
                   "in_channels=3, out_indices=[4], "
                   "norm_cfg=dict(type='BN')))")
    backbone = vc.build_backbone(str(cfg))
    ckpt = tmp_path / 'pretrain.pth'
    torch.save({'state_dict': {f'backbone.{k}': v
                               for k, v in backbone.state_dict().items()},
                'meta': {'epoch': 1}}, ckpt)
    out = tmp_path / 'corr.png'
    assert vc.main(['--config', str(cfg), '--checkpoint', str(ckpt),
                    '--size', '96', '--out', str(out)]) == 0
    assert out.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    assert 'mutual matches with cosine > 0.9 on the 3x3 grid' in \
        capsys.readouterr().out
