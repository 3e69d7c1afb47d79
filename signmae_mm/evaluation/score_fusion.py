"""Late fusion of per-stream score dumps: read them, fit or apply fusion weights, measure.

Each stream is tested on the same split with ``mim test mmaction CONFIG --checkpoint CKPT --dump
X.pkl`` (mmaction2's ``DumpResults``: one dict per sample with ``pred_score`` and ``gt_label``,
in dataset order). The fused score of a sample is the weighted average of the streams' scores,
``sum_i w_i * s_i / sum_i w_i``, what the late-fusion head computes. Weights are given, equal, or
fitted by a grid search over the weight simplex that maximises per-instance or per-class top-1
on a fitting split (ties go to the lower negative log-likelihood). :func:`late_fusion` does the
whole job of ``tools/fuse_scores.py``.

Dumps are pickles: only read files you made yourself.
"""
import itertools
import json
import os.path as osp
import pickle
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..utils import atomic_open
from .metrics import per_class_top1

__all__ = [
    'WEIGHT_KEY', 'DumpError', 'load_dump', 'load_dumps', 'fuse', 'top_k_accuracy',
    'fusion_metrics', 'simplex_grid', 'fit_weights', 'save_fusion_checkpoint', 'format_table',
    'late_fusion', 'write_fusion_report'
]

#: State-dict key of a stream's weight in ``MultiStreamRecognizer`` + the late-fusion head.
WEIGHT_KEY = 'fusion_head.stream_weights.{}'
#: What :func:`fit_weights` can maximise.
OBJECTIVES = ('per_instance_top1', 'per_class_top1')


class DumpError(ValueError):
    """Score dumps that cannot be read or fused."""


def _array(value) -> np.ndarray:
    """A tensor or array-like as a numpy array."""
    if hasattr(value, 'detach'):
        value = value.detach().cpu().numpy()
    return np.asarray(value)


def load_dump(path: str) -> Tuple[np.ndarray, np.ndarray]:
    """Scores and labels of one ``--dump`` file.

    Args:
        path (str): A pickle of mmaction2's ``DumpResults`` (a list of per-sample dicts with
            ``pred_score`` and ``gt_label``).

    Returns:
        tuple[np.ndarray, np.ndarray]: ``(N, num_classes)`` float64 scores and ``(N, )`` int64
        labels.

    Raises:
        DumpError: The file cannot be read or is not such a list.
    """
    try:
        with open(path, 'rb') as f:
            samples = pickle.load(f)
    except (OSError, pickle.UnpicklingError, EOFError) as e:
        raise DumpError(f'{path}: cannot read the score dump: {e}') from e
    if not isinstance(samples, (list, tuple)) or not samples:
        raise DumpError(f'{path}: expected a non-empty list of samples (mim test --dump), got '
                        f'{type(samples).__name__}')
    scores, labels = [], []
    for i, sample in enumerate(samples):
        if not isinstance(sample, dict) or 'pred_score' not in sample or 'gt_label' not in sample:
            raise DumpError(f'{path}: sample {i} lacks pred_score / gt_label')
        scores.append(_array(sample['pred_score']).astype(np.float64).reshape(-1))
        label = _array(sample['gt_label']).reshape(-1)
        if label.size != 1:
            raise DumpError(f'{path}: sample {i} has {label.size} labels; single-label only')
        labels.append(int(label[0]))
    widths = {s.size for s in scores}
    if len(widths) != 1:
        raise DumpError(f'{path}: samples have different numbers of class scores {sorted(widths)}')
    return np.stack(scores), np.asarray(labels, dtype=np.int64)


def load_dumps(paths: Sequence[str]) -> Tuple[np.ndarray, np.ndarray]:
    """Scores of several streams on the same samples.

    Args:
        paths (Sequence[str]): One dump per stream.

    Returns:
        tuple[np.ndarray, np.ndarray]: ``(S, N, num_classes)`` scores and ``(N, )`` labels.

    Raises:
        DumpError: If the dumps differ in samples, labels or classes.
    """
    loaded = [load_dump(p) for p in paths]
    scores0, labels0 = loaded[0]
    for path, (scores, labels) in zip(paths[1:], loaded[1:]):
        if scores.shape != scores0.shape:
            raise DumpError(f'{path} has {scores.shape[0]} samples x {scores.shape[1]} classes, '
                            f'{paths[0]} has {scores0.shape[0]} x {scores0.shape[1]}: dump every '
                            'stream on the same split')
        diff = np.flatnonzero(labels != labels0)
        if diff.size:
            raise DumpError(f'{path} and {paths[0]} disagree on the label of sample {diff[0]} '
                            f'({labels[diff[0]]} vs {labels0[diff[0]]}): dump every stream on the '
                            'same annotation list, unshuffled')
    return np.stack([s for s, _ in loaded]), labels0


def fuse(scores: np.ndarray, weights: Sequence[float]) -> np.ndarray:
    """Weighted average of the streams' scores.

    Args:
        scores (np.ndarray): ``(S, N, num_classes)``.
        weights (Sequence[float]): ``S`` non-negative weights, not all 0.

    Returns:
        np.ndarray: ``(N, num_classes)``.
    """
    w = np.asarray(weights, dtype=np.float64)
    if w.shape != (scores.shape[0], ) or (w < 0).any() or w.sum() <= 0:
        raise ValueError(f'need {scores.shape[0]} weights >= 0, not all 0, got {list(weights)}')
    return np.tensordot(w / w.sum(), scores, axes=1)


def top_k_accuracy(scores: np.ndarray, labels: np.ndarray, k: int) -> float:
    """Fraction of samples whose label is among the ``k`` highest scores (as mmaction2's
    ``top_k_accuracy``, on arrays, for the many calls of the weight search).

    Args:
        scores (np.ndarray): ``(N, num_classes)``.
        labels (np.ndarray): ``(N, )``.
        k (int): How many of the highest scores count.

    Returns:
        float: In ``[0, 1]``.
    """
    top = np.argsort(scores, axis=1)[:, -k:]
    return float((top == labels[:, None]).any(axis=1).mean())


def fusion_metrics(scores: np.ndarray, labels: np.ndarray,
                   topk: Sequence[int] = (1, 5)) -> Dict[str, float]:
    """Per-instance top-k and per-class top-1 (:func:`per_class_top1`), in [0, 1].

    Args:
        scores (np.ndarray): ``(N, num_classes)``.
        labels (np.ndarray): ``(N, )``.
        topk (Sequence[int]): The ``k`` of the per-instance accuracies. Defaults to ``(1, 5)``.

    Returns:
        dict[str, float]: ``per_instance_top{k}`` for each ``k`` and ``per_class_top1``.
    """
    out = {f'per_instance_top{k}': top_k_accuracy(scores, labels, k) for k in topk}
    out['per_class_top1'] = per_class_top1(scores, labels)
    return out


def _nll(scores: np.ndarray, labels: np.ndarray) -> float:
    """Mean negative log of the (normalised) fused score of the true class."""
    p = scores[np.arange(len(labels)), labels] / np.maximum(scores.sum(axis=1), 1e-12)
    return float(-np.log(np.clip(p, 1e-12, None)).mean())


def simplex_grid(num_streams: int, step: float) -> np.ndarray:
    """Every weight vector on the simplex with coordinates in multiples of ``step``.

    Args:
        num_streams (int): ``S``.
        step (float): Grid step; ``1 / step`` is rounded to an integer ``n``.

    Returns:
        np.ndarray: ``(C(n + S - 1, S - 1), S)`` weights summing to 1.
    """
    n = int(round(1.0 / step))
    if n < 1:
        raise ValueError(f'step must be in (0, 1], got {step}')
    points = [c for c in itertools.product(range(n + 1), repeat=num_streams - 1)
              if sum(c) <= n]
    return np.asarray([list(c) + [n - sum(c)] for c in points], dtype=np.float64) / n


def fit_weights(scores: np.ndarray,
                labels: np.ndarray,
                step: float = 0.05,
                objective: str = 'per_instance_top1') -> Tuple[np.ndarray, Dict[str, float]]:
    """Grid-search late-fusion weights.

    Args:
        scores (np.ndarray): ``(S, N, num_classes)`` scores of the fitting split.
        labels (np.ndarray): ``(N, )`` labels.
        step (float): Grid step of the weights. Defaults to 0.05.
        objective (str): One of :data:`OBJECTIVES` (maximised); ties go to the lower negative
            log-likelihood. Defaults to ``'per_instance_top1'``.

    Returns:
        tuple[np.ndarray, dict]: The weights ``(S, )`` (summing to 1) and the fitting split's
        ``objective`` / ``nll`` at them.
    """
    if objective not in OBJECTIVES:
        raise ValueError(f'unknown objective {objective!r}')
    measure = (lambda s: top_k_accuracy(s, labels, 1)) if objective == 'per_instance_top1' \
        else (lambda s: per_class_top1(s, labels))
    best, best_key = None, None
    for w in simplex_grid(scores.shape[0], step):
        fused = fuse(scores, w)
        key = (measure(fused), -_nll(fused, labels))
        if best_key is None or key > best_key:
            best, best_key = w, key
    return best, {objective: best_key[0], 'nll': -best_key[1]}


def save_fusion_checkpoint(path: str, names: Sequence[str], weights: Sequence[float],
                           meta: Optional[dict] = None) -> str:
    """Write late-fusion weights as a checkpoint of ``MultiStreamRecognizer``'s fusion head.

    Args:
        path (str): Output ``.pth`` (written atomically).
        names (Sequence[str]): Stream names, as in the fusion config's ``model.streams``.
        weights (Sequence[float]): One weight per stream.
        meta (dict, optional): Stored under ``meta`` (plain Python values).

    Returns:
        str: ``path``.
    """
    import torch
    state = {WEIGHT_KEY.format(n): torch.tensor(float(w), dtype=torch.float32)
             for n, w in zip(names, weights)}
    with atomic_open(path, 'wb') as f:
        torch.save(dict(meta=dict(meta or {}, fusion='late', streams=list(names)),
                        state_dict=state), f)
    return path


def format_table(rows: Dict[str, Dict[str, float]], weights: Dict[str, float]) -> str:
    """A text table of metrics (in %) per row, with each stream's weight.

    Args:
        rows (dict[str, dict[str, float]]): Metrics in [0, 1] per row name.
        weights (dict[str, float]): Weight per stream name (rows without one show none).

    Returns:
        str: The table.
    """
    keys = list(next(iter(rows.values())))
    width = max(len(r) for r in rows) + 2
    lines = [f'{"":{width}s}{"weight":>8s}' + ''.join(f'{k:>20s}' for k in keys)]
    for name, values in rows.items():
        w = f'{weights[name]:8.3f}' if name in weights else ' ' * 8
        lines.append(f'{name:{width}s}{w}' + ''.join(f'{100 * values[k]:20.2f}' for k in keys))
    return '\n'.join(lines)


def _check_arguments(num: int, names: List[str], weights: Optional[Sequence[float]], fit: bool,
                     fit_on: Optional[Sequence[str]], for_checkpoint: bool) -> None:
    """All the problems of a :func:`late_fusion` call at once, as one ``ValueError``."""
    problems = []
    if len(names) != num:
        problems.append(f'{len(names)} --names for {num} dumps')
    if len(set(names)) != len(names):
        problems.append(f'stream names must be distinct, got {names}')
    if for_checkpoint and not all(n.isidentifier() for n in names):
        problems.append(f'--save-checkpoint needs identifier stream names (--names), got {names}')
    if weights is not None and len(weights) != num:
        problems.append(f'{len(weights)} --weights for {num} dumps')
    if weights is not None and fit:
        problems.append('give --weights or --fit, not both')
    if fit_on and len(fit_on) != num:
        problems.append(f'{len(fit_on)} --fit-on dumps for {num} streams')
    if fit_on and not fit:
        problems.append('--fit-on needs --fit')
    if problems:
        raise ValueError('; '.join(problems))


def late_fusion(dumps: Sequence[str],
                names: Optional[Sequence[str]] = None,
                weights: Optional[Sequence[float]] = None,
                fit: bool = False,
                fit_on: Optional[Sequence[str]] = None,
                step: float = 0.05,
                objective: str = 'per_instance_top1',
                topk: Sequence[int] = (1, 5),
                for_checkpoint: bool = False) -> Dict:
    """Fuse the streams' score dumps and measure every stream and the fusion.

    Args:
        dumps (Sequence[str]): One score dump per stream, the evaluated split.
        names (Sequence[str], optional): Stream names in dump order. Defaults to the dumps' file
            names.
        weights (Sequence[float], optional): Fusion weights in dump order. Defaults to equal
            weights (unless ``fit``).
        fit (bool): Fit the weights (:func:`fit_weights`). Defaults to False.
        fit_on (Sequence[str], optional): Dumps to fit on (the validation split), in the same
            stream order. Defaults to ``dumps`` themselves, which overstates the fused accuracy.
        step (float): Grid step of the fit. Defaults to 0.05.
        objective (str): What the fit maximises. Defaults to ``'per_instance_top1'``.
        topk (Sequence[int]): The per-instance top-k to report. Defaults to ``(1, 5)``.
        for_checkpoint (bool): The names will name checkpoint keys: they must be identifiers.

    Returns:
        dict: ``streams``, ``dumps``, ``weights`` (name -> normalised weight), ``metrics`` (row
        name, with ``'fused'`` last -> :func:`fusion_metrics`), ``num_samples``,
        ``num_classes``, ``num_present_classes``, and with ``fit`` also ``fitted_on``, ``fit``,
        ``step`` and ``objective``.

    Raises:
        ValueError: Inconsistent arguments (all problems named at once), or unusable dumps
            (:class:`DumpError`).
    """
    names = list(names or [osp.splitext(osp.basename(p))[0] for p in dumps])
    _check_arguments(len(dumps), names, weights, fit, fit_on, for_checkpoint)
    scores, labels = load_dumps(dumps)
    report = dict(streams=names, dumps=list(dumps))
    if fit:
        fit_scores, fit_labels = load_dumps(fit_on) if fit_on else (scores, labels)
        if fit_scores.shape[2] != scores.shape[2]:
            raise DumpError(f'the --fit-on dumps have {fit_scores.shape[2]} classes, the '
                            f'evaluated ones {scores.shape[2]}')
        weights, fitted = fit_weights(fit_scores, fit_labels, step, objective)
        report.update(fitted_on=list(fit_on or dumps), fit=fitted, step=step,
                      objective=objective)
    else:
        weights = np.asarray(weights if weights is not None else [1.0] * len(dumps))
        fuse(scores, weights)  # checks the weights
    weights = np.asarray(weights, dtype=np.float64) / np.sum(weights)
    rows = {n: fusion_metrics(s, labels, topk) for n, s in zip(names, scores)}
    rows['fused'] = fusion_metrics(fuse(scores, weights), labels, topk)
    report.update(weights=dict(zip(names, weights.tolist())), metrics=rows,
                  num_samples=len(labels), num_classes=int(scores.shape[2]),
                  num_present_classes=int(np.unique(labels).size))
    return report


def write_fusion_report(report: Dict, path: str) -> str:
    """Write :func:`late_fusion`'s report as JSON, atomically.

    Args:
        report (dict): The report.
        path (str): Output file.

    Returns:
        str: ``path``.
    """
    with atomic_open(path, 'w') as f:
        json.dump(report, f, indent=1)
    return path
