from .masked_vit import MaskedVisionTransformer

__all__ = ['MaskedVisionTransformer']
