"""A trivial baseline for a sign recognition split: a linear classifier on raw, tiny pixels.

Every video becomes ``num_frames`` grey frames downsampled to ``size x size`` plus the absolute
differences of consecutive frames (a crude motion cue), flattened; a multinomial logistic
regression with an L2 penalty is fitted on the training list and scored on the test list. It
has no augmentation, no pretraining and no notion of space beyond the pixel grid, so a model
that does not clearly beat it on the same split has not learnt anything a linear read-out of
the pixels could not. Frames are read with mmaction2's own transforms (``DecordInit``,
``SampleFrames``, ``DecordDecode``), decoded as a model's test pipeline decodes them.
:func:`classify_features` is the classifier alone, for any features (the frozen-encoder linear
probe uses it).

:func:`pair_kind_accuracy` reports accuracy separately on the classes of each kind of
fine-grained pair (the demo set's ``'shape'`` and ``'motion'`` pairs) and how often a prediction
at least lands in the right pair; it works on any ``(N, C)`` scores, the model's included.
"""
import json
import os
import os.path as osp
import time
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import cv2
import numpy as np

from .metrics.sign_acc_metric import per_class_top1

__all__ = [
    'Pair', 'VideoReadError', 'pixel_features', 'load_pairs', 'pair_kind_accuracy',
    'classify_features', 'fit_pixel_baseline', 'write_report'
]

#: A fine-grained pair: ``(kind, class_a, class_b)``, classes as names or indices, or a dict
#: ``{'kind': ..., 'first': ..., 'second': ...}`` as in the demo set's ``vocabulary.json``.
Pair = Union[Tuple[str, Union[str, int], Union[str, int]], Mapping[str, Any]]


class VideoReadError(RuntimeError):
    """A video of an annotation list cannot be decoded (the message names the file)."""


def _transforms(num_frames: int, frame_interval: int) -> List:
    """mmaction2's decoding transforms, built through its registry (not re-implemented)."""
    from mmaction.registry import TRANSFORMS
    init = TRANSFORMS.build(dict(type='DecordInit'))
    # test_mode: the clip centred in the video, no random offset -> deterministic features
    sample = TRANSFORMS.build(
        dict(type='SampleFrames', clip_len=num_frames, frame_interval=frame_interval,
             num_clips=1, test_mode=True))
    decode = TRANSFORMS.build(dict(type='DecordDecode'))
    return [init, sample, decode]


def pixel_features(video_path: str,
                   num_frames: int = 16,
                   size: int = 28,
                   frame_interval: Optional[int] = None) -> np.ndarray:
    """Raw-pixel features of one video: tiny grey frames and their absolute differences.

    Args:
        video_path (str): The video (any file mmaction2's ``DecordInit`` reads).
        num_frames (int): Frames sampled (``SampleFrames(clip_len=num_frames, num_clips=1,
            test_mode=True)``). Defaults to 16.
        size (int): Side of the square grey frames (``cv2.INTER_AREA``). Defaults to 28.
        frame_interval (int, optional): ``SampleFrames``' frame interval. None (default):
            ``max(1, total_frames // num_frames)``, so the clip spans the whole video (for the
            demo set's 16-frame videos and ``num_frames=8``, 2: the frames of the demo configs'
            ``8x2x1`` pipeline, as the main job runs it).

    Returns:
        np.ndarray: float32 ``((2 * num_frames - 1) * size * size,)``: the ``num_frames`` frames
        ``(T, size, size)`` in ``[0, 1]``, then the ``num_frames - 1`` absolute differences of
        consecutive frames, each flattened row-major.

    Raises:
        FileNotFoundError: If a local ``video_path`` does not exist.
        VideoReadError: If the video cannot be decoded.
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
        if frame_interval is None:
            sample.frame_interval = max(1, results['total_frames'] // num_frames)
        results = decode(sample(results))
    except FileNotFoundError:
        raise FileNotFoundError(f'video {video_path} does not exist')
    except Exception as e:  # decord / file backend errors: say which video
        raise VideoReadError(f'cannot decode video {video_path}: {type(e).__name__}: {e}') from e
    # DecordDecode yields RGB frames
    grey = np.stack([
        cv2.resize(cv2.cvtColor(np.ascontiguousarray(img), cv2.COLOR_RGB2GRAY), (size, size),
                   interpolation=cv2.INTER_AREA) for img in results['imgs']
    ]).astype(np.float32) / 255.0
    diffs = np.abs(np.diff(grey, axis=0))
    return np.concatenate([grey.reshape(-1), diffs.reshape(-1)])


def _class_index(value: Union[str, int], classes: Optional[Sequence[str]]) -> int:
    if isinstance(value, (int, np.integer)):
        return int(value)
    if classes is None:
        raise ValueError(f'pair class {value!r} is a name, but no class list was given')
    try:
        return list(classes).index(value)
    except ValueError:
        raise ValueError(f'pair class {value!r} is not one of the classes {list(classes)}')


def _normalise_pairs(pairs: Sequence[Pair],
                     classes: Optional[Sequence[str]]) -> List[Tuple[str, int, int]]:
    out = []
    for pair in pairs:
        if isinstance(pair, Mapping):
            kind, a, b = pair['kind'], pair['first'], pair['second']
        else:
            kind, a, b = pair
        out.append((str(kind), _class_index(a, classes), _class_index(b, classes)))
    return out


def pair_kind_accuracy(scores: np.ndarray,
                       labels: Sequence[int],
                       pairs: Sequence[Pair],
                       classes: Optional[Sequence[str]] = None,
                       prefix: str = 'acc') -> Dict[str, float]:
    """Top-1 accuracy per kind of fine-grained pair, and how often a prediction hits the pair.

    For each pair kind ``k`` (e.g. ``'shape'``, ``'motion'``), ``{prefix}/{k}_pairs_top1`` is
    the top-1 accuracy over the samples whose true class belongs to a pair of that kind.
    ``{prefix}/right_pair`` is the share of the samples whose class belongs to a pair whose
    prediction is one of the classes of that pair (the right class or its twin): the coarse
    part of the task, which the fine-grained part (``top1 / right_pair``) then refines. Samples
    of classes in no pair count in neither; kinds without samples are left out.

    Args:
        scores (np.ndarray): ``(N, C)`` class scores.
        labels (Sequence[int]): ``(N,)`` true classes.
        pairs (Sequence): Pairs ``(kind, class_a, class_b)`` or ``vocabulary.json`` dicts
            ``{'kind', 'first', 'second'}``; classes as indices or names of ``classes``.
        classes (Sequence[str], optional): Class names, index = label (needed for names).
        prefix (str): Key prefix. Defaults to ``'acc'``.

    Returns:
        dict[str, float]: ``{prefix}/{kind}_pairs_top1`` per kind with samples and
        ``{prefix}/right_pair``, each in ``[0, 1]``.
    """
    scores = np.asarray(scores)
    labels = np.asarray(labels).astype(np.int64).reshape(-1)
    if scores.ndim != 2 or len(scores) != len(labels):
        raise ValueError(f'pair_kind_accuracy needs (N, C) scores and N labels, got '
                         f'{scores.shape} and {labels.shape}')
    num_classes = scores.shape[1]
    norm = _normalise_pairs(pairs, classes)
    # partner[c, d]: d is in a pair with c (c itself included); kind_of[k][c]: c in a k-pair
    partner = np.eye(num_classes, dtype=bool)
    kinds: Dict[str, np.ndarray] = {}
    in_pair = np.zeros(num_classes, dtype=bool)
    for kind, a, b in norm:
        for c in (a, b):
            if not 0 <= c < num_classes:
                raise ValueError(f'pair class {c} is outside the {num_classes} scored classes')
        partner[a, b] = partner[b, a] = True
        kinds.setdefault(kind, np.zeros(num_classes, dtype=bool))[[a, b]] = True
        in_pair[[a, b]] = True
    preds = np.argmax(scores, axis=1)
    correct = preds == labels
    out: Dict[str, float] = {}
    for kind, members in kinds.items():
        mask = members[labels]
        if mask.any():
            out[f'{prefix}/{kind}_pairs_top1'] = float(correct[mask].mean())
    mask = in_pair[labels]
    if mask.any():
        out[f'{prefix}/right_pair'] = float(partner[labels[mask], preds[mask]].mean())
    return out


def load_pairs(ann_files: Sequence[str]) -> Tuple[Optional[List[Dict]], Optional[List[str]]]:
    """Fine-grained pairs and class names of a ``vocabulary.json`` beside an annotation list.

    Args:
        ann_files (Sequence[str]): Annotation lists; the first whose folder holds a
            ``vocabulary.json`` (as :func:`signmae_mm.demo.write_demo_dataset` writes) wins.

    Returns:
        tuple: ``(pairs, classes)``, or ``(None, None)`` if there is no vocabulary file.
    """
    for ann in ann_files:
        path = osp.join(osp.dirname(osp.abspath(ann)), 'vocabulary.json')
        if osp.isfile(path):
            with open(path) as f:
                vocab = json.load(f)
            return vocab.get('pairs'), vocab.get('classes')
    return None, None


def _list_features(ann_file: str, video_prefix: str, num_frames: int, size: int,
                   frame_interval: Optional[int]) -> Tuple[np.ndarray, np.ndarray]:
    """:func:`pixel_features` ``(N, D)`` and labels ``(N,)`` of one annotation list."""
    from ..datasets.sign_annotation import load_annotation_list
    _, data_list = load_annotation_list(ann_file)
    if not data_list:
        raise ValueError(f'annotation list {ann_file} has no videos')
    feats, labels = [], []
    for i, entry in enumerate(data_list):
        if 'filename' not in entry or 'label' not in entry:
            raise ValueError(f'{ann_file}: entry {i} lacks "filename" / "label"')
        path = osp.join(video_prefix, entry['filename']) if video_prefix else entry['filename']
        try:
            feats.append(pixel_features(path, num_frames, size, frame_interval))
        except FileNotFoundError as e:
            raise FileNotFoundError(f'{e} (entry {i} of {ann_file})') from None
        except VideoReadError as e:
            raise VideoReadError(f'{e} (entry {i} of {ann_file})') from None
        labels.append(int(np.asarray(entry['label']).reshape(-1)[0]))
    return np.stack(feats), np.asarray(labels, dtype=np.int64)


def _fit_logistic(x: np.ndarray, y: np.ndarray, num_classes: int, weight_decay: float,
                  max_iter: int) -> Tuple[np.ndarray, np.ndarray]:
    """Multinomial logistic regression, mean cross-entropy + ``weight_decay / 2 * |W|^2``.

    Full-batch L-BFGS from zero weights: the objective is strictly convex, so the result does
    not depend on a seed. With more features than samples (``D > N``, the usual case here) the
    optimal ``W`` lies in the span of the training samples (representer theorem), so it is
    fitted in an orthonormal basis ``Q`` of that span (``x.T = Q R``): the same objective and
    optimum, but every step costs ``N x N`` instead of ``N x D`` operations.

    Args:
        x (np.ndarray): ``(N, D)`` standardised training features.
        y (np.ndarray): ``(N,)`` labels.
        num_classes (int): ``C``.
        weight_decay (float): L2 penalty.
        max_iter (int): L-BFGS iterations at most.

    Returns:
        tuple[np.ndarray, np.ndarray]: Weights ``(D, C)`` and biases ``(C,)``.
    """
    import torch
    xt = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))
    yt = torch.from_numpy(y)
    basis = None
    if xt.shape[1] > xt.shape[0]:
        basis, r = torch.linalg.qr(xt.T)  # (D, N), (N, N); |Q z| = |z| keeps the penalty
        xt = r.T.contiguous()  # = x @ Q
    w = torch.zeros(xt.shape[1], num_classes, requires_grad=True)
    b = torch.zeros(num_classes, requires_grad=True)
    opt = torch.optim.LBFGS([w, b], lr=1, max_iter=max_iter, history_size=20,
                            tolerance_grad=1e-7, tolerance_change=1e-12,
                            line_search_fn='strong_wolfe')

    def closure():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(xt @ w + b, yt)
        loss = loss + 0.5 * weight_decay * (w * w).sum()
        loss.backward()
        return loss

    opt.step(closure)
    w = w.detach()
    if basis is not None:
        w = basis @ w
    return w.numpy(), b.detach().numpy()


def _classes_of(ann_files: Sequence[str]) -> Optional[List[str]]:
    """``metainfo['classes']`` of the first annotation list that has them."""
    from ..datasets.sign_annotation import load_annotation_list
    for ann in ann_files:
        classes = load_annotation_list(ann)[0].get('classes')
        if classes:
            return list(classes)
    return None


def write_report(res: Dict[str, Any], title: str, out: Optional[str] = None) -> None:
    """Print the ``acc/*`` figures of a result under ``title``; write it as JSON to ``out``.

    Args:
        res (dict): A result of :func:`fit_pixel_baseline` or
            :func:`~signmae_mm.evaluation.linear_probe`, without its arrays.
        title (str): First line.
        out (str, optional): JSON file (its folder is created).
    """
    lines = [title] + [f'  {key:24s} {100 * value:6.2f}' for key, value in res.items()
                       if key.startswith('acc/')]
    print('\n'.join(lines))
    if out:
        os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
        with open(out, 'w') as f:
            json.dump(res, f, indent=1)
        print(f'  written to {out}')


def classify_features(x_train: np.ndarray,
                      y_train: np.ndarray,
                      x_test: np.ndarray,
                      y_test: np.ndarray,
                      weight_decay: float = 1e-2,
                      max_iter: int = 500,
                      pairs: Optional[Sequence[Pair]] = None,
                      classes: Optional[Sequence[str]] = None,
                      ann_files: Optional[Sequence[str]] = None) -> Dict[str, Any]:
    """Fit the linear classifier on training features and score test features.

    Features are standardised with the training mean and standard deviation; the classifier is
    a multinomial logistic regression with an L2 penalty, fitted by full-batch L-BFGS
    (deterministic; seconds for a thousand samples). Shared by :func:`fit_pixel_baseline` and
    the frozen-encoder linear probe, so that both read their features out the same way.

    Args:
        x_train (np.ndarray): ``(N, D)`` training features.
        y_train (np.ndarray): ``(N,)`` training labels.
        x_test (np.ndarray): ``(M, D)`` test features.
        y_test (np.ndarray): ``(M,)`` test labels.
        weight_decay (float): L2 penalty on the weights (the loss is the mean cross-entropy
            over standardised features). Defaults to 1e-2.
        max_iter (int): L-BFGS iterations at most. Defaults to 500.
        pairs (Sequence, optional): Fine-grained pairs for :func:`pair_kind_accuracy`. None:
            those of a ``vocabulary.json`` beside one of ``ann_files``, if any.
        classes (Sequence[str], optional): Class names (index = label) for named pairs. None:
            the vocabulary's, else the ``metainfo['classes']`` of ``ann_files``.
        ann_files (Sequence[str], optional): The annotation lists the features come from
            (test list first); only read for ``pairs`` / ``classes``.

    Returns:
        dict: ``acc/per_instance_top1``, ``acc/per_instance_top5``, ``acc/per_class_top1``,
        ``acc/train_top1`` (on the training samples themselves), with pairs also
        ``acc/{kind}_pairs_top1`` and ``acc/right_pair``; ``num_train``, ``num_test``,
        ``num_classes``, ``feature_dim``, ``seconds`` (``{'fit': s}``) and the test ``scores``
        ``(M, C)`` (softmax probabilities, float32) and ``labels`` ``(M,)``.
    """
    from mmaction.evaluation import top_k_accuracy

    x_train = np.asarray(x_train, dtype=np.float32)
    x_test = np.asarray(x_test, dtype=np.float32)
    y_train = np.asarray(y_train).astype(np.int64).reshape(-1)
    y_test = np.asarray(y_test).astype(np.int64).reshape(-1)
    if (x_train.ndim != 2 or x_test.ndim != 2 or x_train.shape[1] != x_test.shape[1]
            or len(x_train) != len(y_train) or len(x_test) != len(y_test)):
        raise ValueError(f'classify_features needs (N, D) / (M, D) features and N / M labels, '
                         f'got {x_train.shape}, {y_train.shape}, {x_test.shape}, '
                         f'{y_test.shape}')
    if len(y_train) == 0 or len(y_test) == 0:
        raise ValueError('classify_features needs training and test samples')
    ann_files = list(ann_files or [])
    if pairs is None and ann_files:
        pairs, vocab_classes = load_pairs(ann_files)
        if classes is None:
            classes = vocab_classes
    if classes is None and ann_files:
        classes = _classes_of(ann_files)
    num_classes = max(int(y_train.max()), int(y_test.max())) + 1
    if classes is not None:
        num_classes = max(num_classes, len(classes))

    # train statistics only; the floor keeps constant inputs (background pixels) from blowing
    # up into noise
    mean = x_train.mean(0)
    std = np.maximum(x_train.std(0), 1e-3)
    x_train = (x_train - mean) / std
    x_test = (x_test - mean) / std

    start = time.time()
    w, b = _fit_logistic(x_train, y_train, num_classes, weight_decay, max_iter)
    fit_seconds = time.time() - start

    def softmax(x: np.ndarray) -> np.ndarray:
        logits = x @ w + b
        logits -= logits.max(1, keepdims=True)
        p = np.exp(logits)
        return (p / p.sum(1, keepdims=True)).astype(np.float32)

    scores = softmax(x_test)
    top1, top5 = top_k_accuracy(scores, y_test, (1, 5))
    out: Dict[str, Any] = {
        'acc/per_instance_top1': float(top1),
        'acc/per_instance_top5': float(top5),
        'acc/per_class_top1': per_class_top1(scores, y_test),
        'acc/train_top1': float(np.mean(np.argmax(softmax(x_train), 1) == y_train)),
    }
    if pairs:
        out.update(pair_kind_accuracy(scores, y_test, pairs, classes))
    out.update(
        num_train=int(len(y_train)),
        num_test=int(len(y_test)),
        num_classes=int(num_classes),
        feature_dim=int(x_train.shape[1]),
        seconds=dict(fit=round(fit_seconds, 2)),
        scores=scores,
        labels=y_test)
    return out


def fit_pixel_baseline(train_ann: str,
                       test_ann: str,
                       video_prefix: str = '',
                       num_frames: int = 16,
                       size: int = 28,
                       frame_interval: Optional[int] = None,
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
    x_train, y_train = _list_features(train_ann, video_prefix, num_frames, size, frame_interval)
    x_test, y_test = _list_features(test_ann, video_prefix, num_frames, size, frame_interval)
    feature_seconds = time.time() - start
    out = classify_features(x_train, y_train, x_test, y_test, weight_decay=weight_decay,
                            max_iter=max_iter, pairs=pairs, classes=classes,
                            ann_files=(test_ann, train_ann))
    out['seconds'] = dict(features=round(feature_seconds, 2), **out['seconds'])
    return out
