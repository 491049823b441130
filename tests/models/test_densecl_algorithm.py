"""DenseCLAlgorithm behaviour beyond parity: grids, matchings, errors."""
import pytest
import torch

import dense_ssl  # noqa: F401
import torch.nn.functional as F

from dense_ssl.models.algorithms import DenseCLAlgorithm, MoCoV2Algorithm
from dense_ssl.models.objectives import DenseContrast, GlobalContrast
from dense_ssl.registry import MODELS
from mmselfsup.registry import MODELS as MMSELFSUP_MODELS
from densecl_helpers import densecl_neck_cfg, resnet18_cfg


def build(num_grid=None, **kwargs):
    cfg = dict(type='DenseCLAlgorithm', backbone=resnet18_cfg(),
               neck=densecl_neck_cfg('DenseProjectionNeck', num_grid),
               queue_len=8, feat_dim=8)
    cfg.update(kwargs)
    return MODELS.build(cfg).train()


def dense_parts(model, views):
    """Encoded views, normalised dense grids and the matched indices."""
    enc = model.encode(views)
    dense = model.objective(DenseContrast)
    q_grid = F.normalize(enc.q_out[1], dim=1)
    k_grid = F.normalize(enc.k_out[1], dim=1).detach()
    return enc, q_grid, k_grid, dense.match_positions(model, enc, q_grid,
                                                      k_grid)


@pytest.mark.parametrize('match', ['max_sim_backbone', 'max_sim_projection',
                                   'random'])
def test_grid_other_than_backbone_grid_with_every_matching(views96, match):
    # 96 px -> 3 x 3 C5 map on ResNet-18; the dense output is pooled to 2 x 2
    # (the configuration that crashes in MMSelfSup's DenseCL).
    model = build(num_grid=2, match=match)
    enc, q_grid, k_grid, idx = dense_parts(model, views96)
    assert enc.q_levels[-1].shape == (2, 512, 3, 3)
    assert q_grid.shape == k_grid.shape == (2, 8, 4)
    assert enc.k_out[2].shape == enc.k_out[0].shape == (2, 8)
    assert idx.shape == (2, 4)
    assert int(idx.min()) >= 0 and int(idx.max()) < 4
    losses = model.loss(views96, None)
    assert set(losses) == {'loss_single', 'loss_dense'}
    assert all(torch.isfinite(v) for v in losses.values())
    sum(losses.values()).backward()
    # every trainable parameter receives a gradient (no unused parameters)
    assert all(p.grad is not None for p in model.parameters()
               if p.requires_grad)


def test_max_sim_backbone_matching_on_identical_views(views96):
    # The key encoder is a copy of the query encoder at step 0, so with the
    # same image in both views every cell matches itself.
    model = build()
    idx = dense_parts(model, [views96[0], views96[0].clone()])[3]
    assert idx.tolist() == [list(range(9))] * 2


def test_loss_lambda_zero_keeps_dense_gradients_flowing(views96):
    model = build(loss_lambda=0.0)
    losses = model.loss(views96, None)
    assert losses['loss_dense'].item() == 0.0
    sum(losses.values()).backward()
    assert model.neck.mlp2[0].weight.grad is not None


def test_queues_receive_normalised_pooled_keys(views96):
    model = build()
    torch.manual_seed(0)
    model.loss(views96, None)
    # the key encoder equals the query encoder after the first step's copy
    with torch.no_grad():
        k_map = model.encoder_k.module[0](views96[1])
        k, _, pooled = model.encoder_k.module[1](k_map)
    torch.testing.assert_close(model.queue[:, :2], F.normalize(k, dim=1).t())
    torch.testing.assert_close(model.queue2[:, :2],
                               F.normalize(pooled, dim=1).t())
    # the dense key map is pooled before normalisation, normalised after
    # (the authors' order), not the mean of the normalised cells
    with torch.no_grad():
        dense = model.encoder_k.module[1](k_map)[1]
    torch.testing.assert_close(
        model.queue2[:, :2], F.normalize(dense.mean(2), dim=1).t())
    assert int(model.queue_ptr) == int(model.queue2_ptr) == 2


def test_queue_length_checked_at_build_and_first_step(views96):
    with pytest.raises(ValueError, match='queue_len=30.*batch size 4'):
        build(queue_len=30, batch_size=4)
    model = build(queue_len=5)  # batch unknown at build time
    with pytest.raises(ValueError, match='queue_len=5.*batch size 2'):
        model.loss(views96, None)


def test_config_errors_are_explicit():
    with pytest.raises(ValueError, match="match='nearest'"):
        build(match='nearest')
    with pytest.raises(ValueError, match='contradicts head temperature'):
        build(temperature=0.5, head=dict(
            type='ContrastiveHead', loss=dict(type='mmcls.CrossEntropyLoss'),
            temperature=0.2))
    with pytest.raises(ValueError, match='not supported'):
        build(head=dict(type='LatentPredictHead',
                        loss=dict(type='CosineSimilarityLoss')))
    with pytest.raises(ValueError, match='two views'):
        build().loss(torch.zeros(2, 3, 32, 32), None)


def test_registry_builds_ours_and_mmselfsup_side_by_side():
    ours = build()
    theirs = MMSELFSUP_MODELS.build(dict(
        type='DenseCL', backbone=resnet18_cfg(),
        neck=densecl_neck_cfg('DenseCLNeck'), queue_len=8, feat_dim=8,
        head=dict(type='ContrastiveHead',
                  loss=dict(type='mmcls.CrossEntropyLoss'))))
    assert isinstance(ours, DenseCLAlgorithm)
    assert type(theirs).__name__ == 'DenseCL'
    assert MODELS.get('MoCoV2Algorithm') is MoCoV2Algorithm
    import mmcls.registry
    import mmselfsup.registry
    ours_names = {'DenseCLAlgorithm', 'MoCoV2Algorithm', 'DenseProjectionNeck'}
    for reg in (mmselfsup.registry.MODELS, mmcls.registry.MODELS):
        assert not ours_names & set(reg.module_dict)
    assert 'DenseLossWarmupHook' not in mmselfsup.registry.HOOKS.module_dict


def test_non_square_images_without_num_grid():
    # 96 x 128 px -> a 3 x 4 C5 map: 12 dense cells, matched on that grid.
    model = build()
    views = [torch.randn(2, 3, 96, 128) for _ in range(2)]
    _, q_grid, _, idx = dense_parts(model, views)
    assert q_grid.shape == (2, 8, 12)
    assert idx.shape == (2, 12) and int(idx.max()) < 12


def test_presets_are_compositions_of_objectives():
    model = build(loss_lambda=0.3)
    assert [type(o) for o in model.objectives] == [GlobalContrast,
                                                   DenseContrast]
    assert model.objective(GlobalContrast).weight == 1.0 - 0.3
    model.loss_lambda = 0.0  # what DenseLossWarmupHook does
    assert model.objective(GlobalContrast).weight == 1.0
    assert model.objective(DenseContrast).weight == 0.0
    moco = MODELS.build(dict(
        type='MoCoV2Algorithm', backbone=resnet18_cfg(),
        neck=dict(type='MoCoV2Neck', in_channels=512, hid_channels=16,
                  out_channels=8), queue_len=8, feat_dim=8))
    assert not hasattr(moco, 'loss_lambda')  # no dense term to weigh
