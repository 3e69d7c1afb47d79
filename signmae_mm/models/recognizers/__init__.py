from .frozen_stream import FrozenStream, StreamCheckpointError, resolve_checkpoint
from .multi_stream_recognizer import MultiStreamRecognizer
from .video_mae_pretrainer import VideoMAEPretrainer

__all__ = ['VideoMAEPretrainer', 'MultiStreamRecognizer', 'FrozenStream',
           'StreamCheckpointError', 'resolve_checkpoint']
