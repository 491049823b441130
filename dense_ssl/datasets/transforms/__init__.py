from .fast_views import FastColourAug, FastMultiView
from .hg_formatting import HGMultiView, PackHGInputs
from .hg_geometry import HGRandomResizedCropFlip
from .hg_loading import HGLoadHierarchy, HierarchyMismatchError
from .loading import LoadImageOrSkip

__all__ = ['LoadImageOrSkip', 'HGLoadHierarchy', 'HierarchyMismatchError',
           'HGRandomResizedCropFlip', 'HGMultiView', 'PackHGInputs',
           'FastMultiView', 'FastColourAug']
