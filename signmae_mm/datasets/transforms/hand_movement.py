"""``HandMovementCheck``: do the hands move in the sampled clip? (after MASA's Algorithm 1)."""
from typing import Optional, Sequence

import numpy as np
from mmaction.registry import TRANSFORMS
from mmcv.transforms import BaseTransform

from ...structures import HAND_KEYPOINTS, LEFT_SHOULDER, NUM_KEYPOINTS, RIGHT_SHOULDER

__all__ = ['HandMovementCheck', 'HAND_MOTION_META_KEYS']

#: The metadata keys that ``HandMovementCheck`` writes (for ``PackActionInputs(meta_keys=...)``).
HAND_MOTION_META_KEYS = ('hand_motion_score', 'hand_moving', 'hand_motion_valid',
                         'hand_motion_reason')


@TRANSFORMS.register_module()
class HandMovementCheck(BaseTransform):
    """Measure hand movement over the sampled clip from keypoints; optionally drop static clips.

    In the spirit of MASA's Algorithm 1: for the hand keypoints (wrists and the 42 hand points by
    default) and every pair of clip frames ``(i, i + interval)``, a point pair is *valid* when the
    point's confidence reaches ``score_thr`` in both frames (confidence truncation), and *moving*
    when its displacement, divided by the body size, exceeds ``motion_thr``. The score is the
    fraction of valid pairs that move; the hands move when it reaches ``moving_ratio`` (delta).

    Body size (computed over the clip's frames, median): ``'shoulder'``, the distance between the
    shoulders (COCO-WholeBody 5 and 6) where both reach ``score_thr``; ``'bbox'``,
    ``sqrt(w * h)`` of the person box where there is one. Both are scale-invariant, so the check
    can sit before or after resizing; keypoints are read in the video's pixel frame
    (``sign_keypoints`` from ``LoadSignAnnotation``).

    When the movement cannot be measured (no confident keypoint pair, e.g. all scores 0; no body
    size; a clip not longer than ``interval``) the result is *unknown*: ``hand_motion_valid=False``,
    ``hand_motion_score=0.0``, ``hand_moving=False`` and the reason in ``hand_motion_reason``.

    With ``drop_static=True`` a clip whose hands do not move (and, with ``drop_unknown=True``, a
    clip whose movement is unknown) makes the transform return ``None``, so that mmengine's
    ``BaseDataset`` draws another sample. Never in testing: when ``results['test_mode']`` is True
    (``SignVideoDataset`` sets it) nothing is dropped, since mmengine raises on ``None`` there.

    Required keys: ``sign_keypoints``, ``sign_keypoint_scores``; ``sign_person_bboxes`` for
    ``body_size='bbox'``; optional ``test_mode``.
    Added keys: :data:`HAND_MOTION_META_KEYS`.

    Args:
        keypoint_indices (Sequence[int], optional): COCO-WholeBody indices to track. Defaults to
            :data:`~signmae_mm.datasets.HAND_KEYPOINTS` (wrists + both hands).
        score_thr (float): Confidence from which a keypoint is used. Defaults to 0.3.
        interval (int): Frame distance ``k`` within the sampled clip. Defaults to 1.
        motion_thr (float): Displacement over ``interval``, in body sizes, from which a point
            moves. Defaults to 0.05.
        moving_ratio (float): Fraction of moving point pairs from which the hands move (delta).
            Defaults to 0.2.
        body_size (str): ``'shoulder'`` or ``'bbox'``. Defaults to ``'shoulder'``.
        drop_static (bool): Return ``None`` for static clips in training. Defaults to False.
        drop_unknown (bool): With ``drop_static``, also drop clips whose movement is unknown.
            Defaults to False.
    """

    def __init__(self,
                 keypoint_indices: Optional[Sequence[int]] = None,
                 score_thr: float = 0.3,
                 interval: int = 1,
                 motion_thr: float = 0.05,
                 moving_ratio: float = 0.2,
                 body_size: str = 'shoulder',
                 drop_static: bool = False,
                 drop_unknown: bool = False) -> None:
        idx = list(HAND_KEYPOINTS if keypoint_indices is None else keypoint_indices)
        if not idx or min(idx) < 0 or max(idx) >= NUM_KEYPOINTS:
            raise ValueError(f'HandMovementCheck: keypoint_indices must be in [0, '
                             f'{NUM_KEYPOINTS}), got {idx}')
        if int(interval) < 1:
            raise ValueError(f'HandMovementCheck: interval must be >= 1, got {interval}')
        if body_size not in ('shoulder', 'bbox'):
            raise ValueError(f"HandMovementCheck: body_size must be 'shoulder' or 'bbox', got "
                             f'{body_size!r}')
        if not 0.0 <= moving_ratio <= 1.0:
            raise ValueError(f'HandMovementCheck: moving_ratio must be in [0, 1], got '
                             f'{moving_ratio}')
        self.keypoint_indices = np.asarray(idx, dtype=np.int64)
        self.score_thr = float(score_thr)
        self.interval = int(interval)
        self.motion_thr = float(motion_thr)
        self.moving_ratio = float(moving_ratio)
        self.body_size = body_size
        self.drop_static = drop_static
        self.drop_unknown = drop_unknown

    def _body_size(self, results: dict, kps: np.ndarray, conf: np.ndarray) -> float:
        if self.body_size == 'shoulder':
            both = conf[:, LEFT_SHOULDER] & conf[:, RIGHT_SHOULDER]
            d = np.linalg.norm(kps[both, LEFT_SHOULDER] - kps[both, RIGHT_SHOULDER], axis=-1)
        else:
            video = results.get('filename', '<unknown video>')
            if 'sign_person_bboxes' not in results:
                raise KeyError(f'HandMovementCheck: {video}: no "sign_person_bboxes"; add '
                               'LoadSignAnnotation before it')
            box = np.asarray(results['sign_person_bboxes'], dtype=np.float64)
            wh = box[:, 2:4] - box[:, 0:2]
            ok = np.isfinite(wh).all(-1) & (wh > 0).all(-1)
            d = np.sqrt(wh[ok, 0] * wh[ok, 1])
        d = d[np.isfinite(d) & (d > 0)]
        return float(np.median(d)) if d.size else 0.0

    def measure(self, results: dict):
        """Movement of the clip's hands.

        Args:
            results (dict): Pipeline results with ``sign_keypoints`` / ``sign_keypoint_scores``.

        Returns:
            tuple[float, bool, bool, str]: score, moving, valid, reason (``''`` when valid).
        """
        video = results.get('filename', '<unknown video>')
        if 'sign_keypoints' not in results or 'sign_keypoint_scores' not in results:
            raise KeyError(f'HandMovementCheck: {video}: no "sign_keypoints" / '
                           '"sign_keypoint_scores" in results; add LoadSignAnnotation before it')
        kps = np.asarray(results['sign_keypoints'], dtype=np.float64)
        scores = np.asarray(results['sign_keypoint_scores'], dtype=np.float64)
        if kps.ndim != 3 or kps.shape[1:] != (NUM_KEYPOINTS, 2) or \
                scores.shape != kps.shape[:2]:
            raise ValueError(f'HandMovementCheck: {video}: keypoints must be (T, {NUM_KEYPOINTS}'
                             f', 2) with scores (T, {NUM_KEYPOINTS}), got {kps.shape} and '
                             f'{scores.shape}')
        # NaN scores compare False: such points are never confident
        conf = (scores >= self.score_thr) & np.isfinite(kps).all(-1)
        if kps.shape[0] <= self.interval:
            return 0.0, False, False, (f'clip of {kps.shape[0]} frames is not longer than the '
                                       f'interval {self.interval}')
        size = self._body_size(results, kps, conf)
        if size <= 0:
            return 0.0, False, False, f'no body size ({self.body_size}) in the clip'
        k, idx = self.interval, self.keypoint_indices
        pts, c = kps[:, idx], conf[:, idx]
        valid = c[k:] & c[:-k]
        num_valid = int(valid.sum())
        if num_valid == 0:
            return 0.0, False, False, (f'no hand keypoint pair with score >= {self.score_thr} '
                                       f'{k} frame(s) apart')
        disp = np.linalg.norm(pts[k:] - pts[:-k], axis=-1) / size
        moving = int((valid & (disp > self.motion_thr)).sum())
        score = moving / num_valid
        return score, score >= self.moving_ratio, True, ''

    def transform(self, results: dict) -> Optional[dict]:
        """Record the movement; return None for a dropped clip."""
        score, moving, valid, reason = self.measure(results)
        results['hand_motion_score'] = float(score)
        results['hand_moving'] = bool(moving)
        results['hand_motion_valid'] = bool(valid)
        results['hand_motion_reason'] = reason
        if self.drop_static and not results.get('test_mode', False):
            if (valid and not moving) or (not valid and self.drop_unknown):
                return None
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(score_thr={self.score_thr}, interval={self.interval}, '
                f'motion_thr={self.motion_thr}, moving_ratio={self.moving_ratio}, '
                f'body_size={self.body_size!r}, drop_static={self.drop_static}, '
                f'drop_unknown={self.drop_unknown})')
