from .multi_stream_recognizer import (MultiStreamRecognizer, StreamCheckpointError,
                                      resolve_checkpoint)
from .video_mae_pretrainer import VideoMAEPretrainer

__all__ = ['VideoMAEPretrainer', 'MultiStreamRecognizer', 'StreamCheckpointError',
           'resolve_checkpoint']
