"""Accuracy on fine-grained sign pairs: per kind of pair, and how often a prediction hits the pair.

The demo set (and any set with a ``vocabulary.json`` beside its annotation lists) groups its
classes in pairs that differ in one thing only, e.g. the hand shape (``'shape'`` pairs) or the
movement (``'motion'`` pairs). :func:`pair_kind_accuracy` works on any ``(N, C)`` scores, the
model's included.
"""
import json
import os.path as osp
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

__all__ = ['Pair', 'pair_kind_accuracy', 'load_pairs']

#: A fine-grained pair: ``(kind, class_a, class_b)``, classes as names or indices, or a dict
#: ``{'kind': ..., 'first': ..., 'second': ...}`` as in the demo set's ``vocabulary.json``.
Pair = Union[Tuple[str, Union[str, int], Union[str, int]], Mapping[str, Any]]


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
