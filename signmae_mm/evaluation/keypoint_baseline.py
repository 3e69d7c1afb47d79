"""A simple baseline on keypoints: the upper body and both hands of a clip's sign annotation.

Every video becomes the COCO-WholeBody keypoints of its sign annotation (``.npz``, the format of
:mod:`signmae_mm.structures`) at the frames a model's test pipeline samples (our
``SampleSignFrames`` in test mode, as :func:`~signmae_mm.evaluation.pixel_features` uses them):
the upper body (nose to hips) and the 2 x 21 hand points, centred on the midpoint of the
shoulders and divided by the shoulder width (both medians over the clip, so that the motion
stays in the features), flattened. A point whose score is below ``min_score`` (undetected, or
a hand the estimator lost) is 0, never NaN. What the keypoint stream and the keypoint rows of
a table are compared with.
"""
from typing import Optional

import numpy as np

from ..structures import KEYPOINT_RANGES, load_sign_annotation

__all__ = ['KEYPOINT_SUBSET', 'keypoint_features']

#: Whole-body keypoints kept: body 0-12 (face points, shoulders, elbows, wrists, hips) and both
#: hands (91-132).
KEYPOINT_SUBSET: np.ndarray = np.r_[0:13, slice(*KEYPOINT_RANGES['left_hand']),
                                    slice(*KEYPOINT_RANGES['right_hand'])]
_SHOULDERS = (5, 6)


def _frame_indices(total_frames: int, num_frames: int, frame_interval: Optional[int]) -> np.ndarray:
    from mmaction.registry import TRANSFORMS
    interval = frame_interval or max(1, total_frames // num_frames)
    sample = TRANSFORMS.build(
        dict(type='SampleSignFrames', clip_len=num_frames, frame_interval=interval, num_clips=1,
             test_mode=True))
    return np.asarray(sample(dict(total_frames=total_frames, start_index=0))['frame_inds'])


def keypoint_features(sign_ann: str,
                      num_frames: int = 16,
                      frame_interval: Optional[int] = None,
                      min_score: float = 0.3) -> np.ndarray:
    """Normalised keypoints of one clip, flattened.

    Args:
        sign_ann (str): The clip's sign annotation (``.npz``).
        num_frames (int): Frames sampled, as :func:`~signmae_mm.evaluation.pixel_features`
            samples them. Defaults to 16.
        frame_interval (int, optional): The sampler's frame interval; None:
            ``max(1, frames // num_frames)`` of the annotation, so the clip spans it.
        min_score (float): Points scored below it count as missing (0). Defaults to 0.3.

    Returns:
        np.ndarray: ``(num_frames * len(KEYPOINT_SUBSET) * 2, )`` float32.

    Raises:
        ValueError: The annotation has no two shoulders in any frame (named in the message).
    """
    ann = load_sign_annotation(sign_ann)
    inds = _frame_indices(len(ann['keypoints']), num_frames, frame_interval)
    kpts = ann['keypoints'][inds].astype(np.float64)  # (T, 133, 2)
    seen = ann['keypoint_scores'][inds] >= min_score  # (T, 133)
    both = seen[:, _SHOULDERS[0]] & seen[:, _SHOULDERS[1]]
    if not both.any():
        raise ValueError(f'{sign_ann}: no frame with both shoulders detected: cannot normalise')
    left, right = kpts[both][:, _SHOULDERS[0]], kpts[both][:, _SHOULDERS[1]]
    centre = np.median((left + right) / 2, axis=0)
    width = np.median(np.linalg.norm(left - right, axis=-1))
    feats = (kpts[:, KEYPOINT_SUBSET] - centre) / max(width, 1e-6)
    feats[~seen[:, KEYPOINT_SUBSET]] = 0.0
    return feats.astype(np.float32).reshape(-1)

