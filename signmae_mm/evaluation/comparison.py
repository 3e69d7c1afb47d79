"""One table of several models' results on the same test videos, per pair kind.

A row is a model's score dump (``mim test ... --dump X.pkl``: its accuracy is computed here) or
the JSON report of a baseline (``tools/pixel_baseline.py`` / ``tools/keypoint_baseline.py
--out``: its ``acc/*`` figures are read); the columns are per-instance top-1 / top-5, per-class
top-1 and, for a set with fine-grained pairs (the demo's ``vocabulary.json``), the top-1 on the
shape pairs and on the motion pairs and how often the prediction falls in the right pair
(:func:`~signmae_mm.evaluation.pair_kind_accuracy`). What ``tools/run_demo_streams.sh`` prints.
"""
import json
from typing import Dict, Optional, Sequence, Tuple

from .pair_accuracy import load_pairs, pair_kind_accuracy
from .score_fusion import fusion_metrics, load_dump

__all__ = ['COLUMNS', 'result_metrics', 'compare_results', 'format_comparison']

#: ``(key, header)`` of the table's columns, in order.
COLUMNS: Tuple[Tuple[str, str], ...] = (
    ('acc/per_instance_top1', 'top-1'),
    ('acc/per_instance_top5', 'top-5'),
    ('acc/per_class_top1', 'per-class'),
    ('acc/shape_pairs_top1', 'shape pairs'),
    ('acc/motion_pairs_top1', 'motion pairs'),
    ('acc/right_pair', 'right pair'),
)


def result_metrics(path: str, ann_file: Optional[str] = None) -> Dict[str, float]:
    """The ``acc/*`` figures (fractions) of one result file.

    Args:
        path (str): A score dump (``.pkl``, mmaction2's ``DumpResults``) or a JSON report
            holding ``acc/*`` keys.
        ann_file (str, optional): The dump's annotation list: the pairs of a
            ``vocabulary.json`` beside it give the per-pair-kind figures.

    Returns:
        dict[str, float]: ``acc/per_instance_top1``, ``acc/per_instance_top5``,
        ``acc/per_class_top1`` and, with pairs, ``acc/{kind}_pairs_top1`` and
        ``acc/right_pair`` (a JSON report: whatever ``acc/*`` keys it holds), and
        ``num_samples`` for a dump.

    Raises:
        DumpError: A dump cannot be read.
        ValueError: A file that is neither.
    """
    if str(path).endswith('.json'):
        with open(path) as f:
            report = json.load(f)
        return {k: float(v) for k, v in report.items() if k.startswith('acc/')}
    if not str(path).endswith('.pkl'):
        raise ValueError(f'{path}: expected a score dump (.pkl) or a JSON report (.json)')
    scores, labels = load_dump(path)
    out = {f'acc/{k}': v for k, v in fusion_metrics(scores, labels).items()}
    if ann_file:
        pairs, classes = load_pairs([ann_file])
        if pairs:
            out.update(pair_kind_accuracy(scores, labels, pairs, classes))
    out['num_samples'] = int(len(labels))
    return out


def compare_results(results: Sequence[Tuple[str, str]],
                    ann_file: Optional[str] = None) -> Dict[str, Dict[str, float]]:
    """:func:`result_metrics` of each ``(name, path)``, by name, in order.

    Raises:
        ValueError: Two dumps hold different numbers of samples (not the same test videos).
    """
    rows = {name: result_metrics(path, ann_file) for name, path in results}
    counts = {name: r['num_samples'] for name, r in rows.items() if 'num_samples' in r}
    if len(set(counts.values())) > 1:
        raise ValueError(f'the dumps hold different numbers of samples: {counts}')
    return rows


def format_comparison(rows: Dict[str, Dict[str, float]], title: str = '') -> str:
    """The rows as a text table in percent; columns no row has are left out, a figure a row
    lacks is ``-``."""
    columns = [(k, h) for k, h in COLUMNS if any(k in r for r in rows.values())]
    width = max([len(n) for n in rows] + [10])
    lines = [title] if title else []
    lines.append(f'  {"":{width}s} ' + ' '.join(f'{h:>12s}' for _, h in columns))
    for name, row in rows.items():
        cells = [f'{100 * row[k]:11.2f}%' if k in row else f'{"-":>12s}' for k, _ in columns]
        lines.append(f'  {name:{width}s} ' + ' '.join(cells))
    return '\n'.join(lines)
