from .base_fusion_head import BaseFusionHead
from .base_mae_head import BaseMAEHead
from .late_fusion_head import LateFusionHead
from .learned_fusion_head import LearnedFusionHead
from .motion_reconstruction_head import MotionReconstructionHead
from .pixel_reconstruction_head import PixelReconstructionHead
from .stream_fusion_head import FUSION_MODES, StreamFusionHead

__all__ = ['BaseMAEHead', 'PixelReconstructionHead', 'MotionReconstructionHead', 'BaseFusionHead',
           'LateFusionHead', 'LearnedFusionHead', 'StreamFusionHead', 'FUSION_MODES']
