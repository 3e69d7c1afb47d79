"""``SampleSignFrames``: mmaction2's ``SampleFrames`` restricted to the sign's frame range."""
from collections.abc import Sequence
from typing import Any, Optional, Tuple

import numpy as np
from mmaction.datasets.transforms.loading import SampleFrames
from mmaction.registry import TRANSFORMS

from ...structures import SignAnnotationError

__all__ = ['SampleSignFrames']


@TRANSFORMS.register_module()
class SampleSignFrames(SampleFrames):
    """``SampleFrames`` that samples only inside the sample's ``frame_range``.

    Some datasets hold each sign inside a longer recording (Slovo: ``begin``/``end``; WLASL's raw
    videos: ``frame_start``/``frame_end``). ``SignVideoDataset`` with ``use_frame_range`` puts the
    range in the sample as ``frame_range = (start, end)``: 0-based, ``start`` inclusive, ``end``
    exclusive, ``end=None`` = to the end of the video. This transform then samples as
    ``SampleFrames`` would from a video of ``end - start`` frames and shifts the indices by
    ``start``, so every mode (train offsets, test clips, ``out_of_bound_opt`` loop /
    repeat-last) stays inside the range. ``total_frames`` is restored to the video's frame count
    afterwards: ``LoadSignAnnotation`` checks the ``.npz`` against it and indexes the annotation
    with ``frame_inds - start_index``, which are frame numbers of the whole video.

    Without ``frame_range`` (or with ``None``) it is exactly ``SampleFrames``: same arguments,
    same random draws, same ``frame_inds``.

    Required keys: ``total_frames``, ``start_index``; optional ``frame_range``, ``filename``
    (named in errors), ``avg_fps`` (with ``target_fps``).

    Added keys: ``frame_inds``, ``clip_len``, ``frame_interval``, ``num_clips``.

    Args:
        clip_len (int): Frames of each sampled clip.
        **kwargs: Other arguments of mmaction2's ``SampleFrames`` (``frame_interval``,
            ``num_clips``, ``test_mode``, ``out_of_bound_opt``, ...).
    """

    #: ``SignVideoDataset`` with ``use_frame_range`` requires a transform that says this.
    honours_frame_range = True

    def transform(self, results: dict) -> dict:
        """Sample ``frame_inds`` inside ``results['frame_range']`` (the whole video without it).

        Args:
            results (dict): The sample; needs ``total_frames`` and ``start_index``.

        Returns:
            dict: ``results`` with ``frame_inds`` and the clip keys.

        Raises:
            SignAnnotationError: The range is malformed or not inside the video (a data error:
                ``SignVideoDataset`` skips the sample in training with ``max_bad_ratio``).
        """
        frame_range = results.get('frame_range')
        if frame_range is None:
            return super().transform(results)
        total = results['total_frames']
        start, end = self.check_range(frame_range, total, results.get('filename'))
        results['total_frames'] = end - start
        try:
            results = super().transform(results)
        finally:
            # the rest of the pipeline sees the video's own frame count again
            results['total_frames'] = total
        results['frame_inds'] = (results['frame_inds'] + start).astype(np.int32)
        return results

    @staticmethod
    def check_range(frame_range: Any, total: int,
                    filename: Optional[str]) -> Tuple[int, int]:
        """``(start, end)`` of a valid range, ``end=None`` resolved to ``total``.

        Raises:
            SignAnnotationError: Naming ``filename``, the range and the frame count.
        """
        video = filename or '<unknown video>'
        if (not isinstance(frame_range, Sequence) or isinstance(frame_range, str)
                or len(frame_range) != 2):
            raise SignAnnotationError(f'{video}: frame_range must be a (start, end) pair, got '
                                      f'{frame_range!r}')
        start, end = frame_range
        if not _is_int(start) or not (end is None or _is_int(end)):
            raise SignAnnotationError(f'{video}: frame_range {tuple(frame_range)!r} must hold '
                                      'integers (end may be None)')
        start = int(start)
        end = total if end is None else int(end)
        if start < 0 or end > total or start >= end:
            raise SignAnnotationError(
                f'{video}: frame range [{start}, {end}) is not inside the video\'s {total} '
                'frames (needs 0 <= start < end <= frame count; start inclusive, end exclusive)')
        return start, end


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)
