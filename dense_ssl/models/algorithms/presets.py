"""The registered algorithms of earlier releases, as presets of one model.

Each is :class:`MomentumContrast` with a fixed list of objectives, so the
``type=`` names in existing configs keep working and their checkpoints keep
their keys. A new combination needs no class: list the objectives in the
config (``type='MomentumContrast'``, see ``docs/algorithms.md``).

=====================  ================================================
preset                 objectives
=====================  ================================================
``MoCoV2Algorithm``    GlobalContrast(``loss``)
``DenseCLAlgorithm``   GlobalContrast(``loss_single``), DenseContrast
``HierGroupMoCo``      GlobalContrast(``loss``), Hierarchy
``HierGroupDenseCL``   GlobalContrast(``loss_single``), DenseContrast,
                       Hierarchy
=====================  ================================================
"""
from typing import Optional

from dense_ssl.registry import MODELS
from ..objectives import DenseContrast, GlobalContrast, Hierarchy
from .momentum_contrast import MomentumContrast


def _hierarchy(hg_neck: dict, hg_head: Optional[dict],
               hg_sampler: Optional[dict], hg_weight: float) -> Hierarchy:
    return Hierarchy(neck=hg_neck, head=hg_head, sampler=hg_sampler,
                     weight=hg_weight)


class _HierarchyWeight:
    """``hg_weight`` of earlier releases: the Hierarchy objective's weight."""

    @property
    def hg_weight(self) -> float:
        return self.objective(Hierarchy).weight

    @hg_weight.setter
    def hg_weight(self, value: float) -> None:
        self.objective(Hierarchy).weight = value


@MODELS.register_module()
class MoCoV2Algorithm(MomentumContrast):
    """MoCo-v2: InfoNCE between two views' global embeddings and a queue.

    Same state-dict keys as MMSelfSup's ``MoCo`` (``backbone``, ``neck``,
    ``encoder_k``, ``queue``, ``queue_ptr``) and the same loss (``loss``).
    Use a neck whose parameters all feed the global embedding
    (``MoCoV2Neck``). Arguments: see :class:`MomentumContrast`.
    """

    def __init__(self, backbone: dict, neck: dict, **kwargs) -> None:
        super().__init__(backbone, neck, objectives=[GlobalContrast()],
                         **kwargs)


@MODELS.register_module()
class DenseCLAlgorithm(MomentumContrast):
    """DenseCL: MoCo-v2 plus a dense InfoNCE between matched grid cells.

    Loss: ``(1 - loss_lambda) * L_global + loss_lambda * L_dense`` as
    ``loss_single`` and ``loss_dense`` (MMSelfSup's names); the global queue
    ``queue`` holds global keys, the dense queue ``queue2`` the pooled dense
    keys. State-dict keys equal MMSelfSup's ``DenseCL``: its checkpoints load
    (and resume) here and back. Compared with MMSelfSup's ``DenseCL``:
    ``num_grid`` other than the backbone's grid works (there it crashes),
    it runs on one process without a process group, and every parameter
    gets a gradient every step (also with ``loss_lambda = 0``), so DDP needs
    no ``find_unused_parameters``.

    Args:
        loss_lambda: weight of the dense loss (0.5); read every step, so
            ``DenseLossWarmupHook`` may change it.
        match: see :class:`~dense_ssl.models.objectives.DenseContrast`.
        Others: see :class:`MomentumContrast`; the neck must return
            ``[global, dense (N, D, S), pooled dense]`` like
            ``DenseProjectionNeck``.
    """

    def __init__(self, backbone: dict, neck: dict, loss_lambda: float = 0.5,
                 match: str = 'max_sim_backbone', **kwargs) -> None:
        super().__init__(
            backbone, neck,
            objectives=[GlobalContrast(loss_name='loss_single'),
                        DenseContrast(match=match)],
            loss_lambda=loss_lambda, **kwargs)


@MODELS.register_module()
class HierGroupMoCo(_HierarchyWeight, MomentumContrast):
    """MoCo-v2 + HG pixel loss (the paper's "Ours†").

    Args:
        hg_neck, hg_head, hg_sampler, hg_weight: the
            :class:`~dense_ssl.models.objectives.Hierarchy` objective's
            ``neck``, ``head``, ``sampler`` and ``weight``.
        Others: see :class:`MoCoV2Algorithm`; the backbone must output
        layer3 and layer4 (MMSelfSup ResNet ``out_indices=(3, 4)``).
    """

    def __init__(self, backbone: dict, neck: dict,
                 hg_neck: dict = dict(type='HypercolumnNeck'),
                 hg_head: Optional[dict] = None,
                 hg_sampler: Optional[dict] = None,
                 hg_weight: float = 1.0, **kwargs) -> None:
        super().__init__(
            backbone, neck,
            objectives=[GlobalContrast(),
                        _hierarchy(hg_neck, hg_head, hg_sampler, hg_weight)],
            **kwargs)


@MODELS.register_module()
class HierGroupDenseCL(_HierarchyWeight, MomentumContrast):
    """DenseCL + HG pixel loss on a hypercolumn beside the dense branch.

    Args:
        hg_neck, hg_head, hg_sampler, hg_weight: as :class:`HierGroupMoCo`.
        loss_lambda, match: as :class:`DenseCLAlgorithm`.
        Others: see :class:`MomentumContrast`; the backbone must output
        layer3 and layer4; the matching and ``predict`` use layer4.
    """

    def __init__(self, backbone: dict, neck: dict, loss_lambda: float = 0.5,
                 match: str = 'max_sim_backbone',
                 hg_neck: dict = dict(type='HypercolumnNeck'),
                 hg_head: Optional[dict] = None,
                 hg_sampler: Optional[dict] = None,
                 hg_weight: float = 1.0, **kwargs) -> None:
        super().__init__(
            backbone, neck,
            objectives=[GlobalContrast(loss_name='loss_single'),
                        DenseContrast(match=match),
                        _hierarchy(hg_neck, hg_head, hg_sampler, hg_weight)],
            loss_lambda=loss_lambda, **kwargs)
