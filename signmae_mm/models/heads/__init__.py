from .base_fusion_head import BaseFusionHead
from .late_fusion_head import LateFusionHead
from .learned_fusion_head import LearnedFusionHead
from .pixel_reconstruction_head import PixelReconstructionHead
from .stream_fusion_head import FUSION_MODES, StreamFusionHead

__all__ = ['PixelReconstructionHead', 'BaseFusionHead', 'LateFusionHead', 'LearnedFusionHead',
           'StreamFusionHead', 'FUSION_MODES']
