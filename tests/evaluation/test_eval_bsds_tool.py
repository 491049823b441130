"""tools/eval_bsds.py end to end: both forms, the official numbers, and its errors."""
import os.path as osp
import shutil

import eval_bsds
import numpy as np
import pytest
from scipy.io import savemat

FILES = {  # name: columns
    'eval_bdry.txt': 8, 'eval_bdry_img.txt': 5, 'eval_bdry_thr.txt': 4,
    'eval_cover.txt': 4, 'eval_cover_img.txt': 4, 'eval_RI_VOI.txt': 6}


def check_files(out, num_images, nthresh):
    for name, cols in FILES.items():
        table = np.loadtxt(osp.join(out, name), ndmin=2)
        rows = {'_img': num_images, '_thr': nthresh}.get(name[-8:-4], 1)
        assert table.shape == (rows, cols), name
    ratios = [np.loadtxt(osp.join(out, 'eval_bdry.txt'))[1:],
              np.loadtxt(osp.join(out, 'eval_bdry_img.txt'), ndmin=2)[:, 2:],
              np.loadtxt(osp.join(out, 'eval_bdry_thr.txt'), ndmin=2),
              np.loadtxt(osp.join(out, 'eval_cover.txt'))[1:],
              np.loadtxt(osp.join(out, 'eval_cover_img.txt'), ndmin=2)[:, 1:],
              np.loadtxt(osp.join(out, 'eval_RI_VOI.txt'))[[1, 2]]]
    for r in ratios:
        assert ((r >= 0) & (r <= 1)).all()
    assert osp.getsize(osp.join(out, 'pr_curve.png')) > 1000


def test_ucm2_form_gives_the_official_numbers(reference_data, tmp_path, capsys):
    out = str(tmp_path / 'ucm2')
    rc = eval_bsds.main(['--gt-dir', osp.join(reference_data, 'groundTruth'),
                         '--ucm2-dir', osp.join(reference_data, 'ucm2'), '--nthresh', '5',
                         '--out', out, '--workers', '2'])
    assert rc == 0
    check_files(out, 5, 5)
    for name in FILES:
        np.testing.assert_allclose(np.loadtxt(osp.join(out, name)),
                                   np.loadtxt(osp.join(reference_data, 'test_1', name)),
                                   atol=0.005, err_msg=name)
    captured = capsys.readouterr()
    assert 'ODS F' in captured.out and '0.70' in captured.out
    assert 'ETA' in captured.err


def test_images_form_runs_the_grouping_primitive(reference_data, tmp_path, capsys):
    # the first 2 photos, grouped at long side 160 (the tool's path, a smaller size)
    gt = osp.join(reference_data, 'groundTruth')
    first = str(tmp_path / 'first')
    assert eval_bsds.main(['--gt-dir', gt, '--ucm2-dir', osp.join(reference_data, 'ucm2'),
                           '--nthresh', '5', '--out', first, '--limit', '2', '--no-progress']) == 0
    out = str(tmp_path / 'ours')
    rc = eval_bsds.main(['--gt-dir', gt, '--images', osp.join(reference_data, 'images'),
                         '--detector', 'gradient', '--long-side', '160', '--nthresh', '5',
                         '--limit', '2', '--out', out, '--name', 'gradient',
                         '--compare', f'gPb-owt-ucm={first}', '--no-progress'])
    assert rc == 0
    check_files(out, 2, 5)
    assert osp.isdir(osp.join(out, 'hierarchy'))
    table = capsys.readouterr().out
    assert 'gradient' in table and 'gPb-owt-ucm' in table


def test_edges_only_benchmarks_the_thinned_edge_map(reference_data, tmp_path, capsys):
    from PIL import Image
    gt = osp.join(reference_data, 'groundTruth')
    out = str(tmp_path / 'edges')
    rc = eval_bsds.main(['--gt-dir', gt, '--images', osp.join(reference_data, 'images'),
                         '--detector', 'gradient', '--long-side', '160', '--edges-only',
                         '--nthresh', '5', '--limit', '2', '--out', out, '--no-progress'])
    assert rc == 0
    # Boundary files only (a soft map has no regions), one thinned PNG per photo at its size.
    assert not osp.exists(osp.join(out, 'eval_cover.txt'))
    assert np.loadtxt(osp.join(out, 'eval_bdry_thr.txt'), ndmin=2).shape == (5, 4)
    for stem in ('2018', '3063'):
        with Image.open(osp.join(reference_data, 'images', stem + '.jpg')) as photo:
            size = photo.size
        with Image.open(osp.join(out, 'edges', stem + '.png')) as im:
            edges = np.asarray(im)
        assert im.size == size
        # The gradient map is > 0 at every pixel (measured: 100 % of both photos); NMS
        # keeps the ridges only (measured 16 % and 13 %).
        assert 0.02 < (edges > 0).mean() < 0.25
    # Re-running reuses the PNGs and gives the same numbers.
    before = open(osp.join(out, 'eval_bdry.txt')).read()
    assert eval_bsds.main(['--gt-dir', gt, '--images', osp.join(reference_data, 'images'),
                           '--detector', 'gradient', '--long-side', '160', '--edges-only',
                           '--nthresh', '5', '--limit', '2', '--out', out,
                           '--no-progress']) == 0
    assert open(osp.join(out, 'eval_bdry.txt')).read() == before
    with pytest.raises(SystemExit):  # the detector needs photos
        eval_bsds.parse_args(['--gt-dir', gt, '--ucm2-dir', out, '--edges-only', '--out', 'O'])
    assert '--edges-only needs --images' in capsys.readouterr().err


def run_error(argv, capsys):
    rc = eval_bsds.main(argv)
    assert rc == 2
    return capsys.readouterr().err


def test_errors_name_the_file_or_option(reference_data, tmp_path, capsys):
    gt = osp.join(reference_data, 'groundTruth')
    out = str(tmp_path / 'out')
    err = run_error(['--gt-dir', str(tmp_path / 'nope'), '--ucm2-dir', gt, '--out', out], capsys)
    assert '--gt-dir' in err and 'nope' in err
    # a result folder lacking an image
    partial = tmp_path / 'partial'
    partial.mkdir()
    shutil.copy(osp.join(reference_data, 'ucm2', '2018.mat'), partial)
    err = run_error(['--gt-dir', gt, '--ucm2-dir', str(partial), '--out', out], capsys)
    assert '3063' in err
    # unreadable .mat
    bad = tmp_path / 'bad'
    bad.mkdir()
    (bad / '2018.mat').write_bytes(b'not a mat file')
    err = run_error(['--gt-dir', gt, '--ucm2-dir', str(bad), '--out', out, '--limit', '1'],
                    capsys)
    assert '2018.mat' in err and 'readable' in err
    # result and ground truth of different sizes
    small = tmp_path / 'small'
    small.mkdir()
    savemat(str(small / '2018.mat'), {'ucm2': np.zeros((21, 31))})
    err = run_error(['--gt-dir', gt, '--ucm2-dir', str(small), '--out', out, '--limit', '1'],
                    capsys)
    assert '2018' in err and '10x15' in err and 'ground truth' in err
    # photos with no ground-truth id
    photos = tmp_path / 'photos'
    photos.mkdir()
    shutil.copy(osp.join(reference_data, 'images', '2018.jpg'), photos / 'other.jpg')
    err = run_error(['--gt-dir', gt, '--images', str(photos), '--out', out], capsys)
    assert '--images' in err and 'ground-truth id' in err


def test_parse_args_forms_and_bad_compare(tmp_path):
    args = eval_bsds.parse_args(['--gt-dir', 'G', '--ucm2-dir', 'U', '--out', 'O'])
    assert (args.nthresh, args.workers, args.images) == (99, 1, None)
    args = eval_bsds.parse_args(['--gt-dir', 'G', '--images', 'I', '--detector', 'hed',
                                 '--long-side', '480', '--out', 'O'])
    assert (args.detector, args.long_side, args.ucm2_dir) == ('hed', 480, None)
    with pytest.raises(SystemExit):
        eval_bsds.parse_args(['--gt-dir', 'G', '--ucm2-dir', 'U', '--images', 'I', '--out', 'O'])
    with pytest.raises(SystemExit):
        eval_bsds.parse_args(['--gt-dir', 'G', '--ucm2-dir', 'U', '--out', 'O',
                              '--compare', 'noequals'])
    assert eval_bsds.main(['--gt-dir', 'G', '--ucm2-dir', 'U', '--out', str(tmp_path / 'o'),
                           '--compare', f'x={tmp_path}']) == 2
