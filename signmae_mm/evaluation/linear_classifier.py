"""The linear read-out shared by the raw-pixel baseline and the frozen-encoder linear probe.

:func:`classify_features` standardises features with the training statistics and fits a
multinomial logistic regression with an L2 penalty (full-batch L-BFGS, deterministic), then
scores the test features: per-instance top-1/top-5, per-class top-1 and, where the lists have a
vocabulary of fine-grained pairs, :func:`~signmae_mm.evaluation.pair_kind_accuracy`.
:func:`write_report` prints and saves such a result.
"""
import json
import time
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..utils import atomic_open
from .metrics.sign_acc_metric import per_class_top1
from .pair_accuracy import Pair, load_pairs, pair_kind_accuracy

__all__ = ['classify_features', 'write_report']


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
    from ..structures import load_annotation_list
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
        out (str, optional): JSON file (written atomically; its folder is created).
    """
    lines = [title] + [f'  {key:24s} {100 * value:6.2f}' for key, value in res.items()
                       if key.startswith('acc/')]
    print('\n'.join(lines))
    if out:
        with atomic_open(out, 'w') as f:
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
