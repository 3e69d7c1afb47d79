from .heatmap_c3d import HeatmapC3D
from .masked_vit import MaskedVisionTransformer

__all__ = ['MaskedVisionTransformer', 'HeatmapC3D']
