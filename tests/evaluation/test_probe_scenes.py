"""Dead-leaves scenes: deterministic from the seed, labels = the source."""
import hashlib
import os

import numpy as np
import pytest

from dense_ssl.evaluation.probe_scenes import SOURCE_NAMES, load_source, make_scene


def _digests(folder):
    out = {}
    for sub in ('images', 'labels'):
        for name in sorted(os.listdir(os.path.join(folder, sub))):
            with open(os.path.join(folder, sub, name), 'rb') as f:
                out[f'{sub}/{name}'] = hashlib.sha256(f.read()).hexdigest()
    return out


@pytest.fixture(scope='module')
def sources():
    return [load_source(n) for n in SOURCE_NAMES]


def test_scene_labels_are_the_painted_sources(sources):
    image, labels, leaves = make_scene(3, 0, size=48, num_leaves=6,
                                       sources=sources)
    assert image.shape == (48, 48, 3) and labels.shape == (48, 48)
    assert set(np.unique(labels)) <= set(range(len(SOURCE_NAMES)))
    # the last leaf is on top wherever its mask is
    top = leaves[-1]
    assert (labels[top.mask(48)] == top.label).all()


def test_scene_depends_only_on_seed_and_index(sources):
    a = make_scene(5, 2, size=40, num_leaves=4, sources=sources)
    b = make_scene(5, 2, size=40, num_leaves=4, sources=sources)
    c = make_scene(6, 2, size=40, num_leaves=4, sources=sources)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


def test_make_probe_scenes_tool_same_seed_same_bytes(tmp_path, capsys):
    import make_probe_scenes as tool

    from dense_ssl.applications.image_io import read_index_png
    args = ['--num', '3', '--size', '40', '--leaves', '4']
    assert tool.main([str(tmp_path / 'a'), '--seed', '7', *args]) == 0
    assert tool.main([str(tmp_path / 'b'), '--seed', '7', *args]) == 0
    assert tool.main([str(tmp_path / 'c'), '--seed', '8', *args]) == 0
    # more scenes only append
    assert tool.main([str(tmp_path / 'd'), '--seed', '7', '--num', '4',
                      '--size', '40', '--leaves', '4']) == 0
    a, b, c, d = (_digests(tmp_path / n) for n in 'abcd')
    assert len(a) == 6 and a == b
    assert all(a[k] != c[k] for k in a)
    assert {k: d[k] for k in a} == a
    assert (tmp_path / 'a' / 'classes.txt').read_text().split() == list(
        SOURCE_NAMES)
    lab = read_index_png(str(tmp_path / 'a' / 'labels' / '00000.png'))
    assert lab.shape == (40, 40) and lab.max() < len(SOURCE_NAMES)
    assert 'wrote 3 scenes' in capsys.readouterr().out


def test_make_probe_scenes_rejects_bad_sizes(tmp_path):
    import make_probe_scenes as tool
    with pytest.raises(SystemExit):
        tool.parse_args([str(tmp_path), '--num', '0'])
    args = tool.parse_args([str(tmp_path)])
    assert (args.num, args.seed, args.size, args.leaves) == (48, 0, 224, 24)
