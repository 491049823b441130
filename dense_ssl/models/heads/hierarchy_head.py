"""Module wrapper of the HG loss, buildable from configs."""
from torch import Tensor, nn

from dense_ssl.registry import MODELS

from ..losses.hierarchy_loss import OBJECTIVES, hierarchy_loss


@MODELS.register_module()
class HierarchyLossHead(nn.Module):
    """Eq. 1 of HG on gathered anchor / reference embeddings.

    Args:
        temperature: divides cosine similarities; 1.0 is the paper's form.
        objective: ``'ratio'`` (eq. 1 as written, default) or ``'log'``
            (InfoNCE style); see :mod:`dense_ssl.models.losses.hierarchy_loss`.
    """

    def __init__(self, temperature: float = 1.0,
                 objective: str = 'ratio') -> None:
        super().__init__()
        if objective not in OBJECTIVES:
            raise ValueError(
                f'objective={objective!r}; choose from {OBJECTIVES}')
        if temperature <= 0:
            raise ValueError(f'temperature must be > 0, got {temperature}')
        self.temperature = temperature
        self.objective = objective

    def forward(self, anchors: Tensor, positives: Tensor, negatives: Tensor,
                pos_mask: Tensor, neg_mask: Tensor) -> Tensor:
        """Shapes: (M, D), (M, P, D), (M, Q, D), (M, P), (M, Q)."""
        return hierarchy_loss(anchors, positives, negatives, pos_mask,
                              neg_mask, self.temperature, self.objective)

    def extra_repr(self) -> str:
        return f'temperature={self.temperature}, objective={self.objective!r}'
