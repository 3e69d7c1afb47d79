"""``CheckSignKeypoints``: refuse a clip whose keypoints are unusable (e.g. all scores 0)."""
from typing import Optional, Sequence

import numpy as np
from mmaction.registry import TRANSFORMS
from mmcv.transforms import BaseTransform

from ...structures import SignAnnotationError

__all__ = ['CheckSignKeypoints']


@TRANSFORMS.register_module()
class CheckSignKeypoints(BaseTransform):
    """Raise :class:`~signmae_mm.datasets.SignAnnotationError` for a clip without usable keypoints.

    A clip whose pose estimation failed (every score 0, or all below the threshold) still loads
    and trains, silently, on a mask and a movement check that have nothing to go by. This
    transform turns that into a data error naming the video, which ``SignVideoDataset`` (with
    ``max_bad_ratio``) logs, counts and replaces in training, and which fails evaluation.

    A frame is *usable* when at least ``min_keypoints`` of the watched keypoints reach
    ``score_thr``; the clip needs ``min_frames`` usable frames. Place it after
    ``LoadSignAnnotation``.

    Required keys: ``sign_keypoint_scores`` ``(T, K)``; optional ``filename`` (named in the error).

    Args:
        score_thr (float): Confidence from which a keypoint counts. Defaults to 0.3 (as
            ``HandMovementCheck``).
        min_keypoints (int): Keypoints a usable frame needs. Defaults to 1.
        min_frames (int): Usable frames the clip needs. Defaults to 1.
        keypoint_indices (Sequence[int], optional): Keypoints to watch (COCO-WholeBody
            indices); all by default.
    """

    def __init__(self,
                 score_thr: float = 0.3,
                 min_keypoints: int = 1,
                 min_frames: int = 1,
                 keypoint_indices: Optional[Sequence[int]] = None) -> None:
        if min_keypoints < 1:
            raise ValueError(f'CheckSignKeypoints: min_keypoints must be >= 1, got {min_keypoints}')
        if min_frames < 1:
            raise ValueError(f'CheckSignKeypoints: min_frames must be >= 1, got {min_frames}')
        self.score_thr = score_thr
        self.min_keypoints = min_keypoints
        self.min_frames = min_frames
        self.keypoint_indices = None if keypoint_indices is None else list(keypoint_indices)

    def transform(self, results: dict) -> dict:
        """Check ``sign_keypoint_scores``; return the results unchanged."""
        video = results.get('filename', '<unknown video>')
        if 'sign_keypoint_scores' not in results:
            raise KeyError(f'CheckSignKeypoints: {video}: no "sign_keypoint_scores"; place it '
                           'after LoadSignAnnotation')
        scores = np.asarray(results['sign_keypoint_scores'])
        if self.keypoint_indices is not None:
            scores = scores[:, self.keypoint_indices]
        # NaN scores compare False, so they never count as confident
        usable = (scores >= self.score_thr).sum(axis=1) >= self.min_keypoints
        if int(usable.sum()) < self.min_frames:
            raise SignAnnotationError(
                f'{video}: no usable keypoints: {int(usable.sum())} of {scores.shape[0]} clip '
                f'frames have {self.min_keypoints}+ keypoints with score >= {self.score_thr} '
                f'(max score {np.nanmax(scores) if scores.size else float("nan"):.3f}); '
                f'CheckSignKeypoints needs {self.min_frames}')
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(score_thr={self.score_thr}, '
                f'min_keypoints={self.min_keypoints}, min_frames={self.min_frames})')
