"""Per-video failures of preprocessing: reported in the run's summary, never fatal to a run."""

__all__ = ['PreprocessError', 'VideoDecodeError', 'NoPersonError']


class PreprocessError(RuntimeError):
    """A video cannot be preprocessed; the message names the file and the problem.

    Attributes:
        stage (str): Where it failed (``'decode'``, ``'detect'``, ...), for the summary.
    """
    stage = 'preprocess'


class VideoDecodeError(PreprocessError):
    """The video file is missing, cannot be opened or cannot be decoded."""
    stage = 'decode'


class NoPersonError(PreprocessError):
    """No frame of the video holds a person under the detector's threshold."""
    stage = 'detect'
