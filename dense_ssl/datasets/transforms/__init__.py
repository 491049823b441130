from .loading import LoadImageOrSkip

__all__ = ['LoadImageOrSkip']
