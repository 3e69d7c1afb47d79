"""A simple baseline on keypoints: the upper body and both hands of a clip's sign annotation.

Every video becomes the COCO-WholeBody keypoints of its sign annotation (``.npz``, the format of
:mod:`signmae_mm.structures`) at the frames a model's test pipeline samples (our
``SampleSignFrames`` in test mode, as :func:`~signmae_mm.evaluation.pixel_features` uses them):
the upper body (nose to hips) and the 2 x 21 hand points, centred on the midpoint of the
shoulders and divided by the shoulder width (both medians over the clip, so that the motion
stays in the features), flattened. A point whose score is below ``min_score`` (undetected, or
a hand the estimator lost) is 0, never NaN. What the keypoint stream and the keypoint rows of
a table are compared with: :func:`fit_keypoint_baseline` classifies them linearly
(:func:`~signmae_mm.evaluation.classify_features`, as the raw-pixel baseline does its pixels).
"""
import os.path as osp
import time
from typing import Any, Dict, Optional, Sequence, Tuple

import numpy as np

from ..structures import KEYPOINT_RANGES, load_annotation_list, load_sign_annotation
from .linear_classifier import classify_features
from .pair_accuracy import Pair

__all__ = ['KEYPOINT_SUBSET', 'keypoint_features', 'fit_keypoint_baseline']

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



def _list_features(ann_file: str, sign_ann_prefix: str, num_frames: int,
                   frame_interval: Optional[int],
                   min_score: float) -> Tuple[np.ndarray, np.ndarray]:
    """:func:`keypoint_features` ``(N, D)`` and labels ``(N,)`` of one annotation list."""
    _, data_list = load_annotation_list(ann_file)
    if not data_list:
        raise ValueError(f'annotation list {ann_file} has no videos')
    feats, labels = [], []
    for i, entry in enumerate(data_list):
        if 'sign_ann' not in entry or 'label' not in entry:
            raise ValueError(f'{ann_file}: entry {i} lacks "sign_ann" / "label"')
        path = osp.join(sign_ann_prefix, entry['sign_ann']) if sign_ann_prefix \
            else entry['sign_ann']
        try:
            feats.append(keypoint_features(path, num_frames, frame_interval, min_score))
        except ValueError as e:
            raise ValueError(f'{e} (entry {i} of {ann_file})') from None
        labels.append(int(np.asarray(entry['label']).reshape(-1)[0]))
    return np.stack(feats), np.asarray(labels, dtype=np.int64)


def fit_keypoint_baseline(train_ann: str,
                          test_ann: str,
                          sign_ann_prefix: str = '',
                          num_frames: int = 16,
                          frame_interval: Optional[int] = None,
                          min_score: float = 0.3,
                          weight_decay: float = 1e-2,
                          max_iter: int = 500,
                          pairs: Optional[Sequence[Pair]] = None,
                          classes: Optional[Sequence[str]] = None) -> Dict[str, Any]:
    """Fit the linear keypoint baseline on one annotation list and score another.

    :func:`keypoint_features` of every entry's sign annotation in both lists, classified by
    :func:`~signmae_mm.evaluation.classify_features` (standardised with the training
    statistics, L2-penalised multinomial logistic regression), as
    :func:`~signmae_mm.evaluation.fit_pixel_baseline` does for pixels.

    Args:
        train_ann (str): Training annotation list (``signmae_mm.datasets`` JSON format).
        test_ann (str): Evaluated annotation list.
        sign_ann_prefix (str): Folder the entries' ``sign_ann`` are relative to (the dataset's
            ``data_prefix['sign_ann']``; on the demo, its noisy twin ``sign_ann_noisy``).
            Defaults to ''.
        num_frames (int): Frames per clip. Defaults to 16.
        frame_interval (int, optional): See :func:`keypoint_features`. Defaults to None.
        min_score (float): Points scored below it count as missing. Defaults to 0.3.
        weight_decay (float): L2 penalty on the weights. Defaults to 1e-2.
        max_iter (int): L-BFGS iterations at most. Defaults to 500.
        pairs (Sequence, optional): Fine-grained pairs for the per-pair-kind accuracy. None:
            those of a ``vocabulary.json`` beside the lists, if any.
        classes (Sequence[str], optional): Class names; None: the vocabulary's or the lists'.

    Returns:
        dict: What :func:`~signmae_mm.evaluation.classify_features` returns, with
        ``seconds`` holding ``features`` and ``fit``.

    Raises:
        ValueError: An entry has no annotation, or one without shoulders (named).
    """
    start = time.time()
    x_train, y_train = _list_features(train_ann, sign_ann_prefix, num_frames, frame_interval,
                                      min_score)
    x_test, y_test = _list_features(test_ann, sign_ann_prefix, num_frames, frame_interval,
                                    min_score)
    feature_seconds = time.time() - start
    out = classify_features(x_train, y_train, x_test, y_test, weight_decay=weight_decay,
                            max_iter=max_iter, pairs=pairs, classes=classes,
                            ann_files=(test_ann, train_ann))
    out['seconds'] = dict(features=round(feature_seconds, 2), **out['seconds'])
    return out
