"""Correspondence, ring-buffer queue and single-process shuffle-BN."""
import pytest
import torch
import torch.distributed as torch_dist

from dense_ssl.models.utils import (
    batch_shuffle_ddp,
    batch_unshuffle_ddp,
    check_queue_len,
    concat_all_gather,
    enqueue_,
    gather_positions,
    match_max_sim,
    match_random,
    pool_to_grid,
)


def test_match_max_sim_uses_cosine_not_dot_product():
    # query cells (1,0) and (0,1); key cells k0=(10,10), k1=(1,0), k2=(0,3).
    # Dot products would pick k0 for q0; cosines pick k1 (cos 1 > 0.707).
    q = torch.tensor([[[1.0, 0.0], [0.0, 1.0]]])  # (N=1, C=2, S_q=2)
    k = torch.tensor([[[10.0, 1.0, 0.0], [10.0, 0.0, 3.0]]])  # (1, 2, 3)
    assert match_max_sim(q, k).tolist() == [[1, 2]]
    assert match_max_sim(q, k, normalize=False).tolist() == [[0, 0]]


def test_gather_positions_picks_matched_columns():
    k = torch.tensor([[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]])  # (1, 2, 3)
    out = gather_positions(k, torch.tensor([[2, 0, 2, 1]]))
    assert out.tolist() == [[[3.0, 1.0, 3.0, 2.0], [6.0, 4.0, 6.0, 5.0]]]


def test_pool_to_grid_averages_blocks():
    x = torch.arange(16.0).view(1, 1, 4, 4)
    # 2x2 blocks: (0+1+4+5)/4 = 2.5, 4.5, 10.5, 12.5
    assert pool_to_grid(x, 2).tolist() == [[[2.5, 4.5, 10.5, 12.5]]]
    assert torch.equal(pool_to_grid(x, 4), x.flatten(2))


def test_match_random_is_a_valid_injective_index_set():
    gen = torch.Generator().manual_seed(0)
    idx = match_random(3, 9, 9, generator=gen)
    assert idx.shape == (3, 9) and idx.dtype == torch.long
    for row in idx:  # a permutation of the 9 cells for every image
        assert sorted(row.tolist()) == list(range(9))
    assert not all(torch.equal(idx[0], r) for r in idx[1:])
    fewer = match_random(2, 4, 9, generator=gen)  # distinct, in range
    assert all(len(set(r.tolist())) == 4 for r in fewer)
    assert int(fewer.min()) >= 0 and int(fewer.max()) < 9
    more = match_random(2, 9, 4, generator=gen)  # more queries than keys
    assert int(more.min()) >= 0 and int(more.max()) < 4


def test_enqueue_wraps_around_and_returns_pointer():
    queue = torch.zeros(2, 5)
    keys = torch.tensor([[1.0, 10.0], [2.0, 20.0], [3.0, 30.0]])  # (B=3, C=2)
    ptr = enqueue_(queue, keys, 3)
    assert ptr == 1
    # columns 3, 4 then 0 receive keys 1, 2, 3
    assert queue.tolist() == [[3.0, 0.0, 0.0, 1.0, 2.0],
                              [30.0, 0.0, 0.0, 10.0, 20.0]]
    assert enqueue_(queue, keys[:2], 1) == 3
    assert queue[:, 1:3].tolist() == [[1.0, 2.0], [10.0, 20.0]]
    with pytest.raises(ValueError, match='6 keys into a queue of length 5'):
        enqueue_(queue, torch.zeros(6, 2), 0)


def test_queue_length_error_names_both_numbers():
    check_queue_len(65536, 256)
    with pytest.raises(ValueError) as err:
        check_queue_len(100, 24)
    assert 'queue_len=100' in str(err.value)
    assert 'batch size 24' in str(err.value)
    assert 'queue_len=96' in str(err.value)  # the suggested fix


def test_shuffle_bn_single_process_plain_path():
    assert not torch_dist.is_initialized()
    x = torch.arange(24.0).view(4, 6)
    shuffled, idx = batch_shuffle_ddp(x)
    assert shuffled is x and idx is None
    assert batch_unshuffle_ddp(x, idx) is x
    assert concat_all_gather(x) is x
