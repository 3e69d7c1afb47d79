"""A trivial baseline for a sign recognition split: a linear classifier on raw, tiny pixels.

Every video becomes ``num_frames`` grey frames downsampled to ``size x size`` plus the absolute
differences of consecutive frames (a crude motion cue), flattened; a multinomial logistic
regression with an L2 penalty (:func:`~signmae_mm.evaluation.classify_features`) is fitted on
the training list and scored on the test list. It has no augmentation, no pretraining and no
notion of space beyond the pixel grid, so a model that does not clearly beat it on the same split
has not learnt anything a linear read-out of the pixels could not. Frames are read with the
transforms of a model's test pipeline (mmaction2's ``DecordInit`` and ``DecordDecode``, and our
``SampleSignFrames``, which keeps to a sign's frame range where the list gives one).
"""
import os.path as osp
import time
from typing import Any, Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

# kept importable from here for old code (they lived in this module before the split)
from .linear_classifier import classify_features, write_report  # noqa: F401
from .pair_accuracy import Pair, load_pairs, pair_kind_accuracy  # noqa: F401

__all__ = ['VideoReadError', 'pixel_features', 'fit_pixel_baseline']


class VideoReadError(RuntimeError):
    """A video of an annotation list cannot be decoded (the message names the file)."""


def _transforms(num_frames: int, frame_interval: int) -> List:
    """The decoding transforms, built through the registry (not re-implemented)."""
    from mmaction.registry import TRANSFORMS
    init = TRANSFORMS.build(dict(type='DecordInit'))
    # test_mode: the clip centred in the video (or the sign's range), no random offset ->
    # deterministic features; without a frame range it is exactly mmaction2's SampleFrames
    sample = TRANSFORMS.build(
        dict(type='SampleSignFrames', clip_len=num_frames, frame_interval=frame_interval,
             num_clips=1, test_mode=True))
    decode = TRANSFORMS.build(dict(type='DecordDecode'))
    return [init, sample, decode]


def pixel_features(video_path: str,
                   num_frames: int = 16,
                   size: int = 28,
                   frame_interval: Optional[int] = None,
                   frame_range: Optional[Tuple[int, Optional[int]]] = None) -> np.ndarray:
    """Raw-pixel features of one video: tiny grey frames and their absolute differences.

    Args:
        video_path (str): The video (any file mmaction2's ``DecordInit`` reads).
        num_frames (int): Frames sampled (``SampleSignFrames(clip_len=num_frames, num_clips=1,
            test_mode=True)``). Defaults to 16.
        size (int): Side of the square grey frames (``cv2.INTER_AREA``). Defaults to 28.
        frame_interval (int, optional): The sampler's frame interval. None (default):
            ``max(1, frames // num_frames)`` of the video (or of ``frame_range``), so the clip
            spans it (for the demo set's 16-frame videos and ``num_frames=8``, 2: the frames of
            the demo configs' ``8x2x1`` pipeline, as the main job runs it).
        frame_range (tuple[int, int | None], optional): ``(start, end)`` of the sign in the
            video (start inclusive, end exclusive, None = to the end); None: the whole video.

    Returns:
        np.ndarray: float32 ``((2 * num_frames - 1) * size * size,)``: the ``num_frames`` frames
        ``(T, size, size)`` in ``[0, 1]``, then the ``num_frames - 1`` absolute differences of
        consecutive frames, each flattened row-major.

    Raises:
        FileNotFoundError: If a local ``video_path`` does not exist.
        VideoReadError: If the video cannot be decoded or ``frame_range`` does not fit it.
    """
    if num_frames < 1 or size < 1:
        raise ValueError(f'num_frames and size must be >= 1, got {num_frames}, {size}')
    video_path = str(video_path)
    if '://' not in video_path and not osp.isfile(video_path):
        raise FileNotFoundError(f'video {video_path} does not exist')
    try:
        init, sample, decode = _transforms(num_frames, frame_interval or 1)
        results = init(dict(filename=video_path, start_index=0, modality='RGB'))
        if results['total_frames'] < 1:
            raise ValueError('the decoder counts 0 frames')
        if frame_range is not None:
            results['frame_range'] = tuple(frame_range)
        if frame_interval is None:
            start, end = (0, results['total_frames']) if frame_range is None else \
                sample.check_range(frame_range, results['total_frames'], video_path)
            sample.frame_interval = max(1, (end - start) // num_frames)
        results = decode(sample(results))
    except FileNotFoundError:
        raise FileNotFoundError(f'video {video_path} does not exist')
    except Exception as e:  # decord / file backend / frame range errors: say which video
        raise VideoReadError(f'cannot decode video {video_path}: {type(e).__name__}: {e}') from e
    # DecordDecode yields RGB frames
    grey = np.stack([
        cv2.resize(cv2.cvtColor(np.ascontiguousarray(img), cv2.COLOR_RGB2GRAY), (size, size),
                   interpolation=cv2.INTER_AREA) for img in results['imgs']
    ]).astype(np.float32) / 255.0
    diffs = np.abs(np.diff(grey, axis=0))
    return np.concatenate([grey.reshape(-1), diffs.reshape(-1)])


def _list_features(ann_file: str, video_prefix: str, num_frames: int, size: int,
                   frame_interval: Optional[int],
                   use_frame_range: Optional[bool]) -> Tuple[np.ndarray, np.ndarray]:
    """:func:`pixel_features` ``(N, D)`` and labels ``(N,)`` of one annotation list."""
    from ..structures import load_annotation_list
    metainfo, data_list = load_annotation_list(ann_file)
    if not data_list:
        raise ValueError(f'annotation list {ann_file} has no videos')
    if use_frame_range is None:  # as SignVideoDataset decides it
        use_frame_range = bool(metainfo.get('use_frame_range', False))
    feats, labels = [], []
    for i, entry in enumerate(data_list):
        if 'filename' not in entry or 'label' not in entry:
            raise ValueError(f'{ann_file}: entry {i} lacks "filename" / "label"')
        path = osp.join(video_prefix, entry['filename']) if video_prefix else entry['filename']
        frame_range = None
        if use_frame_range and ('frame_start' in entry or 'frame_end' in entry):
            frame_range = (entry.get('frame_start', 0), entry.get('frame_end'))
        try:
            feats.append(pixel_features(path, num_frames, size, frame_interval, frame_range))
        except FileNotFoundError as e:
            raise FileNotFoundError(f'{e} (entry {i} of {ann_file})') from None
        except VideoReadError as e:
            raise VideoReadError(f'{e} (entry {i} of {ann_file})') from None
        labels.append(int(np.asarray(entry['label']).reshape(-1)[0]))
    return np.stack(feats), np.asarray(labels, dtype=np.int64)


def fit_pixel_baseline(train_ann: str,
                       test_ann: str,
                       video_prefix: str = '',
                       num_frames: int = 16,
                       size: int = 28,
                       frame_interval: Optional[int] = None,
                       use_frame_range: Optional[bool] = None,
                       weight_decay: float = 1e-2,
                       max_iter: int = 500,
                       pairs: Optional[Sequence[Pair]] = None,
                       classes: Optional[Sequence[str]] = None) -> Dict[str, Any]:
    """Fit the raw-pixel linear baseline on one annotation list and score another.

    :func:`pixel_features` of every video of both lists, classified by
    :func:`classify_features` (standardised with the training statistics, L2-penalised
    multinomial logistic regression).

    Args:
        train_ann (str): Training annotation list (``signmae_mm.datasets`` JSON format).
        test_ann (str): Evaluated annotation list.
        video_prefix (str): Folder the entries' ``filename`` are relative to (the dataset's
            ``data_prefix['video']``). Defaults to ''.
        num_frames (int): Frames per video. Defaults to 16.
        size (int): Side of the grey frames. Defaults to 28.
        frame_interval (int, optional): See :func:`pixel_features`. Defaults to None.
        use_frame_range (bool, optional): Sample only inside each entry's ``frame_start`` /
            ``frame_end``, as ``SignVideoDataset`` does. None (default): each list's
            ``metainfo['use_frame_range']``, False when absent.
        weight_decay (float): L2 penalty on the weights. Defaults to 1e-2 (on the demo set's
            validation split, 1e-4 to 1e-2 tie, stronger penalties lose a little).
        max_iter (int): L-BFGS iterations at most. Defaults to 500.
        pairs (Sequence, optional): Fine-grained pairs for :func:`pair_kind_accuracy`. None:
            those of a ``vocabulary.json`` beside ``test_ann`` or ``train_ann``, if any.
        classes (Sequence[str], optional): Class names; None: the vocabulary's or the lists'
            ``metainfo['classes']``.

    Returns:
        dict: What :func:`classify_features` returns, with ``seconds`` holding ``features``
        (decoding) and ``fit``.

    Raises:
        FileNotFoundError: A listed video does not exist (named in the message).
        VideoReadError: A listed video cannot be decoded (named in the message).
    """
    start = time.time()
    x_train, y_train = _list_features(train_ann, video_prefix, num_frames, size, frame_interval,
                                      use_frame_range)
    x_test, y_test = _list_features(test_ann, video_prefix, num_frames, size, frame_interval,
                                    use_frame_range)
    feature_seconds = time.time() - start
    out = classify_features(x_train, y_train, x_test, y_test, weight_decay=weight_decay,
                            max_iter=max_iter, pairs=pairs, classes=classes,
                            ann_files=(test_ann, train_ann))
    out['seconds'] = dict(features=round(feature_seconds, 2), **out['seconds'])
    return out
