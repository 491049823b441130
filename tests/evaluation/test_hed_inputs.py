"""dense_ssl.evaluation.hed_inputs (tools/benchmarks/bench_hed_inputs.py): the Caffe-layout
forward, and the variants end to end on one BSDS500 photo (skipped without the shared data)."""
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


def test_caffe_layout_without_padding_is_hed_itself(hed):
    # The re-written forward (pad, side outputs, crop) with pad 0 is HED.forward exactly;
    # with pad 34 the responses change (what the benchmark measures).
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (40, 56, 3), dtype=np.uint8)
    np.testing.assert_allclose(hed_inputs.hed_caffe_padded(hed, image, pad=0), hed(image),
                               atol=1e-6)
    padded = hed_inputs.hed_caffe_padded(hed, image, pad=34)
    assert padded.shape == (40, 56) and np.abs(padded - hed(image)).max() > 1e-3


def test_resize_map_keeps_a_constant_and_the_size():
    out = hed_inputs.resize_map(np.full((10, 16), 0.25), 5, 8)
    assert out.shape == (5, 8) and np.allclose(out, 0.25)


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
