from .videomae_decoder import VideoMAEDecoder

__all__ = ['VideoMAEDecoder']
