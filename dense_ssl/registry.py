"""The ``dense_ssl`` scope: a child of every MMSelfSup registry.

A config with ``default_scope='dense_ssl'`` builds this plugin's classes first
and falls back to MMSelfSup's (backbones, transforms, visualizer, ...) through
the parents, so nothing of MMSelfSup is overwritten: ``mmselfsup.DenseCL`` and
our ``DenseCLAlgorithm`` can be built side by side in one process.
"""
from mmengine.registry import Registry
from mmselfsup import registry as mmselfsup_registry

SCOPE = 'dense_ssl'


def _child(parent: Registry, *locations: str) -> Registry:
    return Registry(
        parent.name, parent=parent, scope=SCOPE, locations=list(locations))


RUNNERS = _child(mmselfsup_registry.RUNNERS)
RUNNER_CONSTRUCTORS = _child(mmselfsup_registry.RUNNER_CONSTRUCTORS)
LOOPS = _child(mmselfsup_registry.LOOPS)
HOOKS = _child(mmselfsup_registry.HOOKS, 'dense_ssl.engine')
DATASETS = _child(mmselfsup_registry.DATASETS, 'dense_ssl.datasets')
DATA_SAMPLERS = _child(mmselfsup_registry.DATA_SAMPLERS)
TRANSFORMS = _child(mmselfsup_registry.TRANSFORMS, 'dense_ssl.datasets')
MODELS = _child(mmselfsup_registry.MODELS, 'dense_ssl.models')
MODEL_WRAPPERS = _child(mmselfsup_registry.MODEL_WRAPPERS)
WEIGHT_INITIALIZERS = _child(mmselfsup_registry.WEIGHT_INITIALIZERS)
OPTIMIZERS = _child(mmselfsup_registry.OPTIMIZERS)
OPTIM_WRAPPERS = _child(mmselfsup_registry.OPTIM_WRAPPERS)
OPTIM_WRAPPER_CONSTRUCTORS = _child(
    mmselfsup_registry.OPTIM_WRAPPER_CONSTRUCTORS)
PARAM_SCHEDULERS = _child(mmselfsup_registry.PARAM_SCHEDULERS)
METRICS = _child(mmselfsup_registry.METRICS)
EVALUATOR = _child(mmselfsup_registry.EVALUATOR)
TASK_UTILS = _child(mmselfsup_registry.TASK_UTILS)
VISUALIZERS = _child(mmselfsup_registry.VISUALIZERS)
VISBACKENDS = _child(mmselfsup_registry.VISBACKENDS)
LOG_PROCESSORS = _child(mmselfsup_registry.LOG_PROCESSORS)
