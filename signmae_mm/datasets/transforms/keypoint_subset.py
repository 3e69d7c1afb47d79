"""Keypoint subsets of COCO-WholeBody for heatmap streams: ``SelectKeypoints`` and flip pairs.

mmaction2's pose transforms (``Flip``, ``GeneratePoseTarget``) work on whatever keypoints a
sample holds and flip them with ``left_kp`` / ``right_kp`` index lists. This module chooses the
keypoints of a sign heatmap stream out of the 133 COCO-WholeBody points and gives the left/right
pairs of a subset in the subset's own indexing, which is what ``Flip`` needs after the selection.

NLA-SLR's 63 points (:data:`NLA_SLR_63`): the 11 upper-body points 0-10 (nose, eyes, ears,
shoulders, elbows, wrists), 10 mouth points (every second of 71-90) and the 42 hand points
91-132. Their flip pairs in subset indexing are :data:`NLA_SLR_63_LEFT_KP` /
:data:`NLA_SLR_63_RIGHT_KP`.
"""
from typing import Dict, List, Sequence, Tuple, Union

import numpy as np
from mmaction.registry import TRANSFORMS
from mmcv.transforms import BaseTransform

from ...structures import NUM_KEYPOINTS

__all__ = [
    'COCO_WHOLEBODY_FLIP_INDICES', 'KEYPOINT_SUBSETS', 'NLA_SLR_63', 'NLA_SLR_63_LEFT_KP',
    'NLA_SLR_63_RIGHT_KP', 'keypoint_subset', 'subset_flip_pairs', 'SelectKeypoints'
]


def _coco_wholebody_flip_indices() -> Tuple[int, ...]:
    """The mirror point of each of the 133 COCO-WholeBody points (itself on the midline)."""
    flip = list(range(NUM_KEYPOINTS))

    def pair(a: int, b: int) -> None:
        flip[a], flip[b] = b, a

    for a in (1, 3, 5, 7, 9, 11, 13, 15):  # eyes, ears, shoulders, elbows, wrists, hips, ...
        pair(a, a + 1)
    for i in range(3):  # feet: left 17-19, right 20-22
        pair(17 + i, 20 + i)
    # face: the 68-point (iBUG 300-W) layout at offset 23
    face_pairs = [(i, 16 - i) for i in range(8)]  # jaw line
    face_pairs += [(17 + i, 26 - i) for i in range(5)]  # eyebrows
    face_pairs += [(31, 35), (32, 34)]  # nostrils
    face_pairs += [(36, 45), (37, 44), (38, 43), (39, 42), (40, 47), (41, 46)]  # eyes
    face_pairs += [(48, 54), (49, 53), (50, 52), (55, 59), (56, 58)]  # outer lips
    face_pairs += [(60, 64), (61, 63), (65, 67)]  # inner lips
    for a, b in face_pairs:
        pair(23 + a, 23 + b)
    for i in range(21):  # hands: left 91-111, right 112-132, same order
        pair(91 + i, 112 + i)
    return tuple(flip)


#: ``COCO_WHOLEBODY_FLIP_INDICES[k]`` is the point that ``k`` becomes under a horizontal flip
#: (left and right swapped; midline points map to themselves).
COCO_WHOLEBODY_FLIP_INDICES: Tuple[int, ...] = _coco_wholebody_flip_indices()

#: NLA-SLR's 63 keypoints: upper body 0-10, mouth (every second of 71-90), both hands 91-132.
NLA_SLR_63: Tuple[int, ...] = tuple(range(11)) + tuple(range(71, 91, 2)) + tuple(range(91, 133))

#: Named subsets that ``SelectKeypoints(keypoints=...)`` accepts.
KEYPOINT_SUBSETS: Dict[str, Tuple[int, ...]] = {
    'nla_slr_63': NLA_SLR_63,
    'upper_body_hands_53': tuple(range(11)) + tuple(range(91, 133)),
    'coco_wholebody_133': tuple(range(NUM_KEYPOINTS)),
}


def keypoint_subset(keypoints: Union[str, Sequence[int]]) -> Tuple[int, ...]:
    """COCO-WholeBody indices of a named subset, or checked explicit indices.

    Args:
        keypoints (str | Sequence[int]): A name of :data:`KEYPOINT_SUBSETS` or indices into
            the 133 COCO-WholeBody points (distinct).

    Returns:
        tuple[int]: The indices, in channel order.
    """
    if isinstance(keypoints, str):
        if keypoints not in KEYPOINT_SUBSETS:
            raise KeyError(f'Unknown keypoint subset {keypoints!r}; named subsets are '
                           f'{sorted(KEYPOINT_SUBSETS)}, or give a list of COCO-WholeBody indices')
        return KEYPOINT_SUBSETS[keypoints]
    indices = tuple(int(k) for k in keypoints)
    if not indices:
        raise ValueError('the keypoint subset is empty')
    bad = [k for k in indices if not 0 <= k < NUM_KEYPOINTS]
    if bad:
        raise ValueError(f'keypoint indices {bad} outside the {NUM_KEYPOINTS} COCO-WholeBody '
                         'points')
    if len(set(indices)) != len(indices):
        raise ValueError(f'keypoint subset {list(indices)} repeats indices')
    return indices


def subset_flip_pairs(keypoints: Union[str, Sequence[int]]) -> Tuple[List[int], List[int]]:
    """Left/right pairs of a keypoint subset, as positions within the subset.

    These are the ``left_kp`` / ``right_kp`` of mmaction2's ``Flip`` (and of
    ``GeneratePoseTarget(double=True)``) for samples whose keypoints went through
    ``SelectKeypoints(keypoints)``.

    Args:
        keypoints (str | Sequence[int]): The subset (see :func:`keypoint_subset`).

    Returns:
        tuple[list[int], list[int]]: ``(left_kp, right_kp)``; ``left_kp[i]`` and
        ``right_kp[i]`` swap under a horizontal flip. ``left_kp`` holds the pair member with
        the lower COCO-WholeBody index (the subject's left for body and hand points).

    Raises:
        ValueError: If a point of the subset has its mirror point outside the subset (the
            flipped sample would have no channel for it).
    """
    indices = keypoint_subset(keypoints)
    position = {k: i for i, k in enumerate(indices)}
    lonely = [k for k in indices if COCO_WHOLEBODY_FLIP_INDICES[k] not in position]
    if lonely:
        raise ValueError(f'keypoints {lonely} of the subset lack their mirror points '
                         f'{[COCO_WHOLEBODY_FLIP_INDICES[k] for k in lonely]}: a flipped '
                         'sample cannot be expressed in this subset')
    left, right = [], []
    for k in indices:
        mirror = COCO_WHOLEBODY_FLIP_INDICES[k]
        if k < mirror:
            left.append(position[k])
            right.append(position[mirror])
    return left, right


#: ``Flip(left_kp=..., right_kp=...)`` for the :data:`NLA_SLR_63` subset.
NLA_SLR_63_LEFT_KP, NLA_SLR_63_RIGHT_KP = (tuple(v) for v in subset_flip_pairs(NLA_SLR_63))


@TRANSFORMS.register_module()
class SelectKeypoints(BaseTransform):
    """Keep a subset of the COCO-WholeBody keypoints in mmaction2's pose keys.

    Place it after ``LoadSignAnnotation(with_pose_keys=True)`` and before the spatial transforms
    and ``Flip``, whose ``left_kp`` / ``right_kp`` must then be the subset's pairs
    (:func:`subset_flip_pairs`; :data:`NLA_SLR_63_LEFT_KP` / :data:`NLA_SLR_63_RIGHT_KP` for the
    default subset). The keypoints' order becomes the heatmap channels' order.

    Scores: a point counts as detected when its score exceeds ``score_thr``. With
    ``binary_scores=True`` (NLA-SLR: no score weighting) detected points get score 1 and the
    others 0, so ``GeneratePoseTarget(use_score=True)`` draws every detected point at full
    height and skips the rest (undetected points have arbitrary coordinates, often 0); with
    ``False`` the scores of detected points are kept and the others set to 0.

    Required keys: ``keypoint`` ``(M, T, K, 2)``; optional ``keypoint_score`` ``(M, T, K)``
    (all points count as detected without it). ``K`` is 133 (COCO-WholeBody).

    Modified keys: ``keypoint`` ``(M, T, K', 2)`` float32, ``keypoint_score`` ``(M, T, K')``
    float32 (added if absent). Added key: ``keypoint_subset`` (the COCO-WholeBody indices kept).

    Args:
        keypoints (str | Sequence[int]): A named subset of :data:`KEYPOINT_SUBSETS` or
            COCO-WholeBody indices. Defaults to ``'nla_slr_63'``.
        score_thr (float): Scores above it count as detected. Defaults to 0.
        binary_scores (bool): Detected points get score 1. Defaults to True.
    """

    def __init__(self,
                 keypoints: Union[str, Sequence[int]] = 'nla_slr_63',
                 score_thr: float = 0.,
                 binary_scores: bool = True) -> None:
        self.keypoints = keypoint_subset(keypoints)
        self.name = keypoints if isinstance(keypoints, str) else None
        self.score_thr = float(score_thr)
        self.binary_scores = binary_scores

    def transform(self, results: dict) -> dict:
        """Select the subset's keypoints and scores."""
        if 'keypoint' not in results:
            raise KeyError(f'SelectKeypoints: {results.get("filename", "<sample>")}: no '
                           '"keypoint" in the sample; use LoadSignAnnotation(with_pose_keys=True)'
                           ' before it')
        kps = np.asarray(results['keypoint'])
        if kps.ndim != 4 or kps.shape[-1] != 2 or kps.shape[2] != NUM_KEYPOINTS:
            raise ValueError(f'SelectKeypoints: "keypoint" must have shape (M, T, '
                             f'{NUM_KEYPOINTS}, 2) (COCO-WholeBody), got {kps.shape}')
        scores = results.get('keypoint_score')
        scores = (np.ones(kps.shape[:-1], np.float32)
                  if scores is None else np.asarray(scores, np.float32))
        if scores.shape != kps.shape[:-1]:
            raise ValueError(f'SelectKeypoints: "keypoint_score" has shape {scores.shape}, '
                             f'expected {kps.shape[:-1]}')
        index = list(self.keypoints)
        scores = scores[..., index]
        detected = scores > self.score_thr
        if self.binary_scores:
            scores = detected.astype(np.float32)
        else:
            scores = np.where(detected, scores, 0).astype(np.float32)
        results['keypoint'] = kps[:, :, index].astype(np.float32)
        results['keypoint_score'] = scores
        results['keypoint_subset'] = self.keypoints
        return results

    def __repr__(self) -> str:
        what = repr(self.name) if self.name else f'{len(self.keypoints)} points'
        return (f'{type(self).__name__}(keypoints={what}, score_thr={self.score_thr}, '
                f'binary_scores={self.binary_scores})')
