"""Decode a video in chunks of frames, counting frames the way the dataset does (decord)."""
import os.path as osp
from typing import Iterator, Optional, Tuple

import numpy as np

from .errors import VideoDecodeError

__all__ = ['VideoFrames']


class VideoFrames:
    """Random-access frames of one video, decoded by decord, as BGR uint8 arrays.

    The sign annotation must have one entry per frame *as the training pipeline's decoder
    counts them* (mmaction2's ``DecordInit``), so frames are read with decord, never with
    OpenCV, whose frame count can differ by a few frames on the same file. Frames come out as
    BGR, the channel order that mmdet's and mmpose's test pipelines (and Sapiens' recipe)
    expect from ``LoadImageFromNDArray``-style inputs.

    Args:
        path (str): The video file.
        num_threads (int): decord decoding threads (0 = decord's choice). Defaults to 0.

    Raises:
        VideoDecodeError: The file is missing, cannot be opened or has no frames.
    """

    def __init__(self, path: str, num_threads: int = 0) -> None:
        self.path = str(path)
        if not osp.isfile(self.path):
            raise VideoDecodeError(f'{self.path}: video file not found')
        import decord
        try:
            self._reader = decord.VideoReader(self.path, num_threads=num_threads)
        except Exception as e:  # decord raises RuntimeError / DECORDError with a terse text
            msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise VideoDecodeError(f'{self.path}: cannot open the video ({msg})') from e
        self.num_frames = len(self._reader)
        if self.num_frames <= 0:
            raise VideoDecodeError(f'{self.path}: the video has no frames')
        first = self.read(0, 1)
        self.img_shape: Tuple[int, int] = tuple(int(v) for v in first.shape[1:3])
        fps = self._reader.get_avg_fps()
        self.fps: Optional[float] = float(fps) if fps and np.isfinite(fps) else None

    def __len__(self) -> int:
        return self.num_frames

    def read(self, start: int, stop: int) -> np.ndarray:
        """Decode frames ``[start, stop)``.

        Args:
            start (int): First frame index.
            stop (int): One past the last frame index.

        Returns:
            np.ndarray: ``(stop - start, H, W, 3)`` uint8 BGR frames.

        Raises:
            VideoDecodeError: Naming the file and the frame range.
        """
        try:
            rgb = self._reader.get_batch(list(range(start, stop))).asnumpy()
        except Exception as e:
            raise VideoDecodeError(f'{self.path}: cannot decode frames {start}-{stop - 1} of '
                                   f'{self.num_frames} ({e})') from e
        if rgb.ndim != 4 or rgb.shape[-1] != 3:
            # decord 0.6.0 misreads mp4v files of a few small widths (4 or 6 channels)
            raise VideoDecodeError(f'{self.path}: decoded frames have shape {rgb.shape}, '
                                   'expected (T, H, W, 3)')
        return np.ascontiguousarray(rgb[..., ::-1])

    def chunks(self, size: int) -> Iterator[Tuple[int, np.ndarray]]:
        """Iterate over consecutive chunks of at most ``size`` frames.

        Args:
            size (int): Frames per chunk.

        Yields:
            tuple[int, np.ndarray]: Index of the chunk's first frame and its ``(n, H, W, 3)``
            BGR frames.
        """
        for start in range(0, self.num_frames, size):
            yield start, self.read(start, min(start + size, self.num_frames))

    def close(self) -> None:
        """Release the decoder."""
        self._reader = None

    def __enter__(self) -> 'VideoFrames':
        return self

    def __exit__(self, *exc) -> None:
        self.close()
