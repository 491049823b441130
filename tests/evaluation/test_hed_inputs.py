"""dense_ssl.evaluation.hed_inputs (tools/benchmarks/bench_hed_inputs.py): HED's Caffe-layout
forward, the map resize and PNG helpers it shares with bsds_run, and the variants end to end
on one BSDS500 photo (skipped without the shared data)."""
import os
import os.path as osp
import sys

import numpy as np
import pytest

from dense_ssl.evaluation import hed_inputs

sys.path.insert(0, osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))),
                            'tools', 'benchmarks'))


@pytest.fixture(scope='module')
def hed():
    pytest.importorskip('h5py')
    from dense_ssl.grouping.hed import HEDEdgeDetector
    try:
        return HEDEdgeDetector(num_threads=2)
    except FileNotFoundError as e:
        pytest.skip(str(e))


def test_caffe_padding_is_the_padded_input_cropped(hed):
    # HED.forward(pad=p) pads after mean subtraction (0 = the mean colour) and crops the
    # side outputs; the fusion and sigmoid are per pixel, so this equals running the net
    # on the zero-padded input and cropping its output. pad 0 is the plain forward.
    import torch
    import torch.nn.functional as F
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (40, 56, 3), dtype=np.uint8)
    x = hed._input(image)[None]
    with torch.inference_mode():
        by_hand = hed.net(F.pad(x, (34, 34, 34, 34)))[0, 0, 34:-34, 34:-34].numpy()
    padded = hed(image, pad=hed_inputs.CAFFE_PAD)
    np.testing.assert_allclose(padded, by_hand, atol=1e-5)
    assert padded.shape == (40, 56) and np.abs(padded - hed(image)).max() > 1e-3
    np.testing.assert_array_equal(hed(image, pad=0), hed(image))


def test_resize_map_keeps_a_constant_and_the_size():
    from dense_ssl.evaluation.bsds_run import resize_map
    out = resize_map(np.full((10, 16), 0.25), 5, 8)
    assert out.shape == (5, 8) and np.allclose(out, 0.25)
    ramp = np.tile(np.arange(4, dtype=np.float32), (3, 1))
    np.testing.assert_array_equal(resize_map(ramp, 3, 4), ramp)  # same size: unchanged


def test_pb_png_round_trips_to_the_nearest_level(tmp_path):
    from dense_ssl.evaluation.bsds_run import load_result, save_pb_png
    path = str(tmp_path / 'a.png')
    save_pb_png(np.array([[0.0, 0.5, 1.0, 1.7], [0.1, 0.102, -0.2, 0.999]]), path)
    kind, pb = load_result(path)
    # 0.5 * 255 + 0.5 = 128 levels; out-of-range values clip; 0.102 * 255 = 26.01 -> 26
    assert kind == 'pb'
    np.testing.assert_array_equal(np.rint(pb * 255), [[0, 128, 255, 255], [26, 26, 0, 255]])
    assert sorted(os.listdir(tmp_path)) == ['a.png']  # no temporary file left


def test_variants_end_to_end_on_one_photo(reference_data, hed, tmp_path, capsys):
    # A BSDS-shaped folder holding the reference benchmark's first photo as 'train'.
    root = tmp_path / 'bsds'
    for sub, ext in (('images', '.jpg'), ('groundTruth', '.mat')):
        os.makedirs(root / sub / 'train')
        name = '2018' + ext
        os.symlink(osp.join(reference_data, 'images' if ext == '.jpg' else 'groundTruth',
                            name), root / sub / 'train' / name)
    out = str(tmp_path / 'out')
    # the tool first (it prints the table), then the library reads the same files back
    import bench_hed_inputs
    assert bench_hed_inputs.main(['--bsds', str(root), '--split', 'train', '--limit', '1',
                                  '--variants', 'raw_nms', 'base', '--max-regions', '40',
                                  '--nthresh', '5', '--workers', '1', '--out', out]) == 0
    assert '| raw_nms |' in capsys.readouterr().out
    rows = hed_inputs.run_variants(str(root), 'train', 1, ['raw_nms', 'base'], out,
                                   max_regions=40, nthresh=5, workers=1)
    (raw_name, raw, raw_reg), (tree_name, tree, tree_reg) = rows
    assert (raw_name, tree_name) == ('raw_nms', 'base')
    assert raw_reg is None and tree_reg is not None  # a thinned map has no regions
    for r in (raw, tree):
        assert 0.3 < r.ods_f <= 1  # HED on a real photo finds the humans' boundaries
    assert osp.isfile(osp.join(out, 'raw_nms', '2018.png'))
    assert osp.isfile(osp.join(out, 'base', '2018.mat'))
    # A second run reuses the cache and files and gives the same numbers.
    again = hed_inputs.run_variants(str(root), 'train', 1, ['raw_nms', 'base'], out,
                                    max_regions=40, nthresh=5, workers=1)
    assert [r[1].ods_f for r in again] == [raw.ods_f, tree.ods_f]
    with pytest.raises(FileNotFoundError, match='groundTruth/val'):
        hed_inputs.run_variants(str(root), 'val', 1, ['base'], out)
