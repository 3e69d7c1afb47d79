from .video_mae_pretrainer import VideoMAEPretrainer

__all__ = ['VideoMAEPretrainer']
