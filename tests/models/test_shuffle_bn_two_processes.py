"""Shuffle-BN helpers across two real (gloo, CPU) processes."""
import os
import socket

import torch
import torch.distributed as dist
import torch.multiprocessing as mp


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _load_helpers():
    # The module file alone: importing the dense_ssl package (mmselfsup,
    # mmcv, ...) in every spawned process would take most of the test time.
    import importlib.util
    path = os.path.join(os.path.dirname(__file__), '..', '..', 'dense_ssl',
                        'models', 'utils', 'distributed.py')
    spec = importlib.util.spec_from_file_location('_dense_ssl_dist', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _worker(rank: int, port: int, results) -> None:
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    dist.init_process_group('gloo', rank=rank, world_size=2)
    try:
        helpers = _load_helpers()
        batch_shuffle_ddp = helpers.batch_shuffle_ddp
        batch_unshuffle_ddp = helpers.batch_unshuffle_ddp
        concat_all_gather = helpers.concat_all_gather
        torch.manual_seed(rank)  # rank 0's permutation must win everywhere
        x = torch.arange(3.0).view(3, 1) + 10 * rank  # rank 0: 0,1,2; 1: 10..
        shuffled, idx = batch_shuffle_ddp(x)
        everything = concat_all_gather(shuffled)
        restored = batch_unshuffle_ddp(shuffled, idx)
        results[rank] = (x.tolist(), shuffled.tolist(), everything.tolist(),
                         restored.tolist())
    finally:
        dist.destroy_process_group()


def test_shuffle_unshuffle_and_gather_across_processes():
    manager = mp.Manager()
    results = manager.dict()
    mp.spawn(_worker, args=(_free_port(), results), nprocs=2, join=True)
    x0, s0, all0, r0 = results[0]
    x1, s1, all1, r1 = results[1]
    assert r0 == x0 and r1 == x1  # unshuffle gives each rank its own rows
    assert all0 == all1 == s0 + s1  # gather: rank order, same everywhere
    # the shuffle is a permutation of the global batch shared by both ranks
    assert sorted(v[0] for v in s0 + s1) == [0, 1, 2, 10, 11, 12]
