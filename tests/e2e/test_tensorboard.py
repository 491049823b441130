"""The TensorBoard switch of configs/_base_/default_runtime.py (issue 12,
item 4): a real `mim train` writes the training scalars to an event file
that TensorBoard's own reader reads back."""
import glob
import json
import os.path as osp

import pytest

from e2e_helpers import mim_train, tiny_densecl_options

SWITCH = 'visualizer.vis_backends.1.enabled=True'


def _event_scalars_in(folder):
    """tag -> {step: value} of the one event file in ``folder``, read by
    TensorBoard's own EventAccumulator."""
    from tensorboard.backend.event_processing.event_accumulator import \
        EventAccumulator
    files = glob.glob(osp.join(folder, 'events.out.tfevents.*'))
    assert len(files) == 1, files
    acc = EventAccumulator(files[0])
    acc.Reload()
    return {tag: {e.step: e.value for e in acc.Scalars(tag)}
            for tag in acc.Tags()['scalars']}


def _event_scalars(work_dir):
    vis_data, = glob.glob(osp.join(work_dir, '*', 'vis_data'))
    return _event_scalars_in(vis_data)


def _json_scalars(folder):
    path, = glob.glob(osp.join(folder, '*', 'vis_data', 'scalars.json'))
    with open(path) as f:
        return [json.loads(line) for line in f]


def test_switch_sends_training_scalars_to_tensorboard(coco_tiny, tmp_path):
    mim_train('configs/densecl_r50_coco.py', tmp_path,
              tiny_densecl_options(coco_tiny) + [SWITCH])
    tb = _event_scalars(str(tmp_path))
    for tag in ('loss', 'loss_single', 'loss_dense', 'lr'):
        assert tag in tb, sorted(tb)
    # 4 images, batch 2, 1 epoch: iterations 1 and 2, logged every one;
    # the same numbers as the LocalVisBackend's scalars.json (float32 in
    # the event file)
    rows = [r for r in _json_scalars(str(tmp_path)) if 'loss' in r]
    assert [r['step'] for r in rows] == [1, 2]
    assert sorted(tb['loss']) == [1, 2]
    for r in rows:
        assert tb['loss'][r['step']] == pytest.approx(r['loss'], rel=1e-6)
        assert tb['loss_dense'][r['step']] == pytest.approx(
            r['loss_dense'], rel=1e-6)


def test_disabled_by_default_writes_nothing(tmp_path):
    import dense_ssl  # noqa: F401
    from mmengine.config import Config

    from dense_ssl.engine import OptionalTensorboardVisBackend
    cfg = Config.fromfile(osp.join(osp.dirname(__file__), '..', '..',
                                   'configs', 'densecl_r50_coco.py'))
    assert cfg.visualizer.vis_backends[1] == dict(
        type='OptionalTensorboardVisBackend', enabled=False)
    off = OptionalTensorboardVisBackend(str(tmp_path / 'off'))
    off.add_scalars({'loss': 1.0}, step=1)
    off.add_scalar('lr', 0.1, step=1)
    off.close()
    assert off.experiment is None
    assert not osp.exists(tmp_path / 'off')
    on = OptionalTensorboardVisBackend(str(tmp_path / 'on'), enabled=True)
    on.add_scalars({'loss': 0.5}, step=3)
    on.close()
    assert _event_scalars_in(str(tmp_path / 'on')) == {'loss': {3: 0.5}}

