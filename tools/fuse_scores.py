#!/usr/bin/env python
"""Late fusion of per-stream score dumps: fit or apply fusion weights, report accuracy.

Each stream is tested on the same split with ``mim test mmaction CONFIG --checkpoint CKPT --dump
X.pkl`` (mmaction2's ``DumpResults``: one dict per sample with ``pred_score`` and ``gt_label``,
in dataset order). The fused score of a sample is the weighted average of the streams' scores,
``sum_i w_i * s_i / sum_i w_i`` -- what ``StreamFusionHead(mode='late')`` computes. Prints
per-instance top-1/top-5 and per-class top-1 (over the classes present in the split) of every
stream and of the fusion.

Weights: given (``--weights``), equal (default), or fitted (``--fit``) by a grid search over the
weight simplex (step ``--step``) that maximises ``--objective`` on the ``--fit-on`` dumps (the
validation split; without them, on the evaluated dumps themselves, which then overstates the
fused accuracy); ties go to the lower negative log-likelihood. ``--save-checkpoint`` writes the
weights as a checkpoint of the fusion head, for ``mim test`` of the late-fusion config.

Example::

    python tools/fuse_scores.py test_rgb_handarm.pkl test_rgb_tube.pkl test_heatmap.pkl \\
        --names rgb_handarm rgb_tube heatmap --fit \\
        --fit-on val_rgb_handarm.pkl val_rgb_tube.pkl val_heatmap.pkl \\
        --out work_dirs/fusion_weights.json --save-checkpoint work_dirs/late_fusion.pth

Dumps are pickles: only read files you made yourself.
"""
import argparse
import itertools
import json
import os
import os.path as osp
import pickle
import sys
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

#: State-dict key of a stream's weight in ``MultiStreamRecognizer`` + ``StreamFusionHead``.
WEIGHT_KEY = 'fusion_head.stream_weights.{}'


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
    """Fraction of samples whose label is among the ``k`` highest scores (as mmaction2)."""
    top = np.argsort(scores, axis=1)[:, -k:]
    return float((top == labels[:, None]).any(axis=1).mean())


def per_class_top1(scores: np.ndarray, labels: np.ndarray) -> float:
    """Mean top-1 accuracy of the classes present in ``labels``."""
    correct = scores.argmax(axis=1) == labels
    classes, inverse = np.unique(labels, return_inverse=True)
    return float(np.mean(np.bincount(inverse, weights=correct) / np.bincount(inverse)))


def metrics(scores: np.ndarray, labels: np.ndarray, topk: Sequence[int] = (1, 5)) -> Dict:
    """Per-instance top-k and per-class top-1, in [0, 1]."""
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
                objective: str = 'per_instance_top1') -> Tuple[np.ndarray, Dict]:
    """Grid-search late-fusion weights.

    Args:
        scores (np.ndarray): ``(S, N, num_classes)`` scores of the fitting split.
        labels (np.ndarray): ``(N, )`` labels.
        step (float): Grid step of the weights. Defaults to 0.05.
        objective (str): ``'per_instance_top1'`` or ``'per_class_top1'`` (maximised); ties go
            to the lower negative log-likelihood. Defaults to ``'per_instance_top1'``.

    Returns:
        tuple[np.ndarray, dict]: The weights ``(S, )`` (summing to 1) and the fitting split's
        ``objective`` / ``nll`` at them.
    """
    if objective not in ('per_instance_top1', 'per_class_top1'):
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
        path (str): Output ``.pth``.
        names (Sequence[str]): Stream names, as in the fusion config's ``model.streams``.
        weights (Sequence[float]): One weight per stream.
        meta (dict, optional): Stored under ``meta`` (plain Python values).

    Returns:
        str: ``path``.
    """
    import torch
    state = {WEIGHT_KEY.format(n): torch.tensor(float(w), dtype=torch.float32)
             for n, w in zip(names, weights)}
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    torch.save(dict(meta=dict(meta or {}, fusion='late', streams=list(names)),
                    state_dict=state), path)
    return path


def format_table(rows: Dict[str, Dict[str, float]], weights: Dict[str, float]) -> str:
    """A text table of metrics (in %) per row."""
    keys = list(next(iter(rows.values())))
    width = max(len(r) for r in rows) + 2
    lines = [f'{"":{width}s}{"weight":>8s}' + ''.join(f'{k:>20s}' for k in keys)]
    for name, values in rows.items():
        w = f'{weights[name]:8.3f}' if name in weights else ' ' * 8
        lines.append(f'{name:{width}s}{w}' + ''.join(f'{100 * values[k]:20.2f}' for k in keys))
    return '\n'.join(lines)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split('\n\n', 1)[1])
    parser.add_argument('dumps', nargs='+', help='one score dump per stream (mim test --dump), '
                        'the evaluated split')
    parser.add_argument('--names', nargs='+', help='stream names, in dump order; for '
                        '--save-checkpoint the names of the fusion config\'s streams (default: '
                        'the dump files\' names)')
    parser.add_argument('--weights', nargs='+', type=float, help='fusion weights, in dump order')
    parser.add_argument('--fit', action='store_true', help='fit the weights by grid search')
    parser.add_argument('--fit-on', nargs='+', metavar='DUMP',
                        help='dumps to fit on (the validation split), in the same stream order')
    parser.add_argument('--step', type=float, default=0.05, help='grid step of the weights')
    parser.add_argument('--objective', default='per_instance_top1',
                        choices=['per_instance_top1', 'per_class_top1'],
                        help='what the fit maximises')
    parser.add_argument('--topk', nargs='+', type=int, default=[1, 5], help='per-instance top-k')
    parser.add_argument('--out', help='write weights and metrics to this JSON file')
    parser.add_argument('--save-checkpoint', metavar='PTH',
                        help='write the weights as a fusion-head checkpoint for mim test')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    num = len(args.dumps)
    names = args.names or [osp.splitext(osp.basename(p))[0] for p in args.dumps]
    problems = []
    if len(names) != num:
        problems.append(f'{len(names)} --names for {num} dumps')
    if len(set(names)) != len(names):
        problems.append(f'stream names must be distinct, got {names}')
    if args.save_checkpoint and not all(n.isidentifier() for n in names):
        problems.append(f'--save-checkpoint needs identifier stream names (--names), got {names}')
    if args.weights is not None and len(args.weights) != num:
        problems.append(f'{len(args.weights)} --weights for {num} dumps')
    if args.weights is not None and args.fit:
        problems.append('give --weights or --fit, not both')
    if args.fit_on and len(args.fit_on) != num:
        problems.append(f'{len(args.fit_on)} --fit-on dumps for {num} streams')
    if args.fit_on and not args.fit:
        problems.append('--fit-on needs --fit')
    if problems:
        print('error: ' + '; '.join(problems), file=sys.stderr)
        return 2
    try:
        scores, labels = load_dumps(args.dumps)
        report = dict(streams=names, dumps=list(args.dumps))
        if args.fit:
            fit_scores, fit_labels = load_dumps(args.fit_on) if args.fit_on else (scores, labels)
            if fit_scores.shape[2] != scores.shape[2]:
                raise DumpError(f'the --fit-on dumps have {fit_scores.shape[2]} classes, the '
                                f'evaluated ones {scores.shape[2]}')
            weights, fitted = fit_weights(fit_scores, fit_labels, args.step, args.objective)
            report.update(fitted_on=list(args.fit_on or args.dumps), fit=fitted,
                          step=args.step, objective=args.objective)
            if not args.fit_on:
                print('note: fitted on the evaluated dumps themselves; the fused accuracy below '
                      'is optimistic (fit on validation dumps with --fit-on)')
        else:
            weights = np.asarray(args.weights if args.weights is not None else [1.0] * num)
            fuse(scores, weights)  # checks the weights
        weights = np.asarray(weights, dtype=np.float64) / np.sum(weights)
    except (DumpError, ValueError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 2

    rows = {n: metrics(s, labels, args.topk) for n, s in zip(names, scores)}
    rows['fused'] = metrics(fuse(scores, weights), labels, args.topk)
    weight_of = dict(zip(names, weights.tolist()))
    print(f'{len(labels)} samples, {scores.shape[2]} classes ({np.unique(labels).size} present), '
          f'{num} streams')
    print(format_table(rows, weight_of))
    print('config: --cfg-options ' + ' '.join(
        f'model.fusion_head.weights.{n}={w:.4f}' for n, w in weight_of.items()))
    report.update(weights=weight_of, metrics=rows)
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w') as f:
            json.dump(report, f, indent=1)
        print(f'wrote {args.out}')
    if args.save_checkpoint:
        save_fusion_checkpoint(args.save_checkpoint, names, weights,
                               meta=dict(weights=weight_of, metrics=rows))
        print(f'wrote {args.save_checkpoint} (mim test ... --checkpoint {args.save_checkpoint})')
    return 0


if __name__ == '__main__':
    sys.exit(main())
