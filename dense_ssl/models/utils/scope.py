"""Build MMSelfSup's ``BaseModel`` parts where dense_ssl's modules are seen."""
from typing import List, Optional, Union

from mmengine.registry import DefaultScope
from mmselfsup.models.algorithms.base import BaseModel

from dense_ssl.registry import SCOPE


def init_selfsup_model(model: BaseModel,
                       backbone: dict,
                       neck: Optional[dict] = None,
                       head: Optional[dict] = None,
                       pretrained: Optional[str] = None,
                       data_preprocessor: Optional[dict] = None,
                       init_cfg: Optional[Union[List[dict], dict]] = None
                       ) -> None:
    """Run MMSelfSup's ``BaseModel.__init__`` on ``model`` in our scope.

    That ``__init__`` builds backbone, neck and head with MMSelfSup's
    registry, which finds dense_ssl's modules (``DenseProjectionNeck``,
    ``HypercolumnNeck``, ``HierarchyLossHead``, ...) only while the default
    scope is dense_ssl: set it, also when built outside a Runner. Call it in
    place of ``super().__init__(...)`` from a direct subclass of
    ``BaseModel``; the arguments are BaseModel's.
    """
    with DefaultScope.overwrite_default_scope(SCOPE):
        BaseModel.__init__(model, backbone, neck, head,
                           pretrained=pretrained,
                           data_preprocessor=data_preprocessor,
                           init_cfg=init_cfg)
