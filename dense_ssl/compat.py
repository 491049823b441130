"""Workarounds for upstream bugs of the pinned stack, applied on ``import dense_ssl``.

Each patch names the bug it works around and is a no-op once upstream is fixed.
Keep this module small: a workaround that is not needed any more goes.
"""
import functools
import importlib.util
import sys
import types


def _add_missing_mmselfsup_runner_module() -> None:
    # mmselfsup 1.0.0's registry lists 'mmselfsup.engine.runner' as a lazy
    # location of RUNNERS/LOOPS, but the wheel does not ship that package
    # (open-mmlab/mmselfsup#745): the Runner then fails with
    # "No module named 'mmselfsup.engine.runner'". An empty module fixes it.
    name = 'mmselfsup.engine.runner'
    if name in sys.modules:
        return
    try:
        found = importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:  # mmselfsup.engine itself missing
        found = False
    if not found:
        sys.modules[name] = types.ModuleType(name)


def _allow_runner_checkpoints() -> None:
    # torch >= 2.6 loads with weights_only=True by default (pytorch/pytorch
    # PR #137602), but mmengine 0.10.7 calls torch.load without the flag on
    # checkpoints holding HistoryBuffer objects and numpy arrays: "Unsupported
    # global" (open-mmlab/mmengine#1655, unfixed PR #1650 would switch safe
    # loading off). We allow exactly those plain-data types and keep safe
    # loading on; see dense_ssl/checkpoint_safety.py. Idempotent (a set).
    from .checkpoint_safety import allow_runner_checkpoints
    allow_runner_checkpoints()


def _allow_cpu_distributed() -> None:
    # mmengine 0.10.7 assumes CUDA under the pytorch launcher (torchrun):
    # `_init_dist_pytorch` always calls `torch.cuda.set_device` ("Found no
    # NVIDIA driver") and `Runner.wrap_model` passes `device_ids=[LOCAL_RANK]`
    # to DDP, which DDP rejects for a CPU module. Without CUDA we initialise
    # gloo (nccl cannot run on CPUs) and let DDP run on the CPU.
    import torch
    import torch.distributed as torch_dist
    from mmengine.dist import utils as dist_utils
    from mmengine.model import MMDistributedDataParallel
    if getattr(dist_utils._init_dist_pytorch, '_dense_ssl_cpu', False):
        return
    init_gpu = dist_utils._init_dist_pytorch

    def _init_dist_pytorch(backend, *args, **kwargs):
        if torch.cuda.is_available():
            return init_gpu(backend, *args, **kwargs)
        kwargs.pop('init_backend', None)
        torch_dist.init_process_group(backend='gloo', **kwargs)

    _init_dist_pytorch._dense_ssl_cpu = True
    dist_utils._init_dist_pytorch = _init_dist_pytorch

    ddp_init = MMDistributedDataParallel.__init__

    @functools.wraps(ddp_init)
    def __init__(self, module, *args, **kwargs):
        on_cpu = all(p.device.type == 'cpu' for p in module.parameters())
        if on_cpu and not torch.cuda.is_available():
            kwargs.pop('device_ids', None)
            kwargs.pop('output_device', None)
        ddp_init(self, module, *args, **kwargs)

    MMDistributedDataParallel.__init__ = __init__


def _no_persistent_workers_without_workers() -> None:
    # PyTorch's DataLoader raises "persistent_workers option needs
    # num_workers > 0" while every shipped config sets persistent_workers=True:
    # `--cfg-options train_dataloader.num_workers=0` (the usual debugging
    # setting) would crash. With no workers there is nothing to keep alive,
    # so the option is switched off (issue 11, item 14).
    from mmengine.runner import Runner
    build = Runner.__dict__['build_dataloader']
    if getattr(build.__func__, '_dense_ssl_workers', False):
        return
    build_fn = build.__func__

    def build_dataloader(dataloader, *args, **kwargs):
        if isinstance(dataloader, dict) and dataloader.get(
                'persistent_workers') and not dataloader.get(
                    'num_workers', 0):
            dataloader = dataloader.copy()
            dataloader['persistent_workers'] = False
        return build_fn(dataloader, *args, **kwargs)

    wrapped = staticmethod(functools.wraps(build_fn)(build_dataloader))
    wrapped.__func__._dense_ssl_workers = True
    Runner.build_dataloader = wrapped


def apply_all() -> None:
    _add_missing_mmselfsup_runner_module()
    _allow_runner_checkpoints()
    _allow_cpu_distributed()
    _no_persistent_workers_without_workers()
