from .pixel_reconstruction_head import PixelReconstructionHead
from .stream_fusion_head import FUSION_MODES, StreamFusionHead

__all__ = ['PixelReconstructionHead', 'StreamFusionHead', 'FUSION_MODES']
