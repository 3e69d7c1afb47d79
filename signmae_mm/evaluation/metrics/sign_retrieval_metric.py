"""Dictionary retrieval of signs: each query clip ranks the gallery's signs (as ASL Citizen
evaluates looking a sign up by video); recall at k, MRR and DCG of the correct sign's rank."""
import copy
import re
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
from mmaction.registry import METRICS
from mmengine.evaluator import BaseMetric

__all__ = ['SignRetrievalMetric', 'retrieval_metrics', 'sign_ranks']


def sign_ranks(scores: np.ndarray, query_labels: Sequence[int],
               sign_labels: Sequence[int]) -> np.ndarray:
    """The rank of each query's correct sign among the gallery's signs.

    Ties count against the query: rank = 1 + the number of *other* signs scored at least as
    high as the correct one (a sign tied with the correct one is ranked before it). A constant
    score row thus ranks the correct sign last, never first.

    Args:
        scores (np.ndarray): ``(Q, S)`` scores (higher = more alike) of each query for each
            gallery sign.
        query_labels (Sequence[int]): ``(Q,)`` the queries' signs.
        sign_labels (Sequence[int]): ``(S,)`` the sign of each score column, distinct.

    Returns:
        np.ndarray: ``(Q,)`` int64 ranks in ``[1, S]``.

    Raises:
        ValueError: Shapes disagree, scores are not finite, columns repeat a sign, or a query's
            sign is not in the gallery (dictionary retrieval: every query's sign has entries).
    """
    scores = np.asarray(scores, dtype=np.float64)
    query_labels = np.asarray(query_labels, dtype=np.int64).reshape(-1)
    sign_labels = np.asarray(sign_labels, dtype=np.int64).reshape(-1)
    if scores.ndim != 2 or scores.shape != (len(query_labels), len(sign_labels)):
        raise ValueError(f'retrieval needs (Q, S) scores for Q query labels and S sign labels, '
                         f'got {scores.shape}, {query_labels.shape} and {sign_labels.shape}')
    if not len(query_labels):
        raise ValueError('retrieval metrics of no query')
    if not np.isfinite(scores).all():
        raise ValueError('retrieval scores must be finite (NaN or inf found)')
    if len(np.unique(sign_labels)) != len(sign_labels):
        raise ValueError(f'the gallery\'s sign labels repeat: {sign_labels.tolist()}')
    column = {int(s): j for j, s in enumerate(sign_labels)}
    absent = sorted({int(q) for q in query_labels if int(q) not in column})
    if absent:
        raise ValueError(f'query signs {absent[:10]} are not in the gallery')
    correct = np.array([column[int(q)] for q in query_labels])
    own = scores[np.arange(len(correct)), correct]
    # >= counts the correct sign itself too: that is the "1 +"
    return (scores >= own[:, None]).sum(1).astype(np.int64)


def retrieval_metrics(scores: np.ndarray,
                      query_labels: Sequence[int],
                      sign_labels: Sequence[int],
                      ks: Sequence[int] = (1, 5, 10)) -> Dict[str, float]:
    """Recall at k, MRR and DCG of a query set against a gallery of signs, in percent.

    With ``rank`` of :func:`sign_ranks` (ties count against the query):

    * ``R{k}``: share of queries whose sign ranks ``<= k``;
    * ``MRR``: mean of ``1 / rank``;
    * ``DCG``: mean of ``1 / log2(1 + rank)``, ASL Citizen's discounted cumulative gain of the
      one relevant sign (1 at rank 1, 0.63 at rank 2, 0.5 at rank 3 ...).

    Args:
        scores (np.ndarray): ``(Q, S)`` scores of each query for each gallery sign.
        query_labels (Sequence[int]): ``(Q,)`` the queries' signs.
        sign_labels (Sequence[int]): ``(S,)`` the sign of each score column.
        ks (Sequence[int]): The recall cut-offs. Defaults to ``(1, 5, 10)``.

    Returns:
        dict[str, float]: ``R{k}`` for each k, ``MRR`` and ``DCG``, all in ``[0, 100]``.
    """
    ranks = sign_ranks(scores, query_labels, sign_labels).astype(np.float64)
    out: Dict[str, float] = OrderedDict()
    for k in ks:
        if int(k) < 1:
            raise ValueError(f'recall cut-offs must be >= 1, got {k}')
        out[f'R{int(k)}'] = float(np.mean(ranks <= k) * 100)
    out['MRR'] = float(np.mean(1 / ranks) * 100)
    out['DCG'] = float(np.mean(1 / np.log2(1 + ranks)) * 100)
    return out


def _as_numpy(value) -> np.ndarray:
    if hasattr(value, 'detach'):
        value = value.detach().float().cpu().numpy()
    return np.asarray(value)


@METRICS.register_module()
class SignRetrievalMetric(BaseMetric):
    """Sign retrieval from a gallery (dictionary retrieval, as ASL Citizen reports it).

    Each data sample is one query clip and must carry

    * ``gallery_scores``: ``(S,)`` its scores for the gallery's ``S`` signs, e.g. a row of
      :meth:`~signmae_mm.apis.SignGallery.scores` (falls back to ``pred_score``, so a
      classifier's class scores evaluate as a ranking of its classes);
    * ``gt_label``: its sign (an int, or a one-element tensor as ``ActionDataSample`` holds it).

    Column ``j`` of the scores is the sign ``sign_labels[j]`` (default: ``j``). The metrics are
    those of :func:`retrieval_metrics` (ties count against the query), in percent, with
    mmaction2's ``RetrievalMetric`` names where they exist: ``R1``, ``R5``, ``R10`` (any
    ``R{k}``), ``MRR``, ``DCG``; keys ``retrieval/R1`` ... with the default prefix.

    Args:
        metric_list (str | tuple[str]): Metrics to report. Defaults to
            ``('R1', 'R5', 'R10', 'MRR', 'DCG')``.
        sign_labels (Sequence[int], optional): The sign of each score column.
        collect_device (str): Device for collecting results across ranks. Defaults to 'cpu'.
        prefix (str, optional): Key prefix; ``'retrieval'`` (``default_prefix``) if None.
    """

    default_prefix: Optional[str] = 'retrieval'

    def __init__(self,
                 metric_list: Union[str, Tuple[str, ...]] = ('R1', 'R5', 'R10', 'MRR', 'DCG'),
                 sign_labels: Optional[Sequence[int]] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if isinstance(metric_list, str):
            metric_list = (metric_list, )
        for metric in metric_list:
            if metric not in ('MRR', 'DCG') and not re.fullmatch(r'R[1-9]\d*', metric):
                raise ValueError(f'SignRetrievalMetric reports R<k> (k >= 1), MRR and DCG, got '
                                 f'{metric!r}')
        self.metric_list = tuple(metric_list)
        self.sign_labels = None if sign_labels is None else [int(s) for s in sign_labels]

    def process(self, data_batch: Optional[Dict], data_samples: Sequence[Dict]) -> None:
        """Keep each query's score row and label.

        Args:
            data_batch (dict, optional): A batch from the dataloader (unused).
            data_samples (Sequence[dict]): The model's outputs, one per query (see the class).
        """
        for sample in copy.deepcopy(data_samples):
            scores = sample.get('gallery_scores', sample.get('pred_score'))
            if scores is None:
                raise KeyError('SignRetrievalMetric needs "gallery_scores" (or "pred_score") in '
                               f'each data sample; got {sorted(sample)}')
            label = _as_numpy(sample['gt_label']).reshape(-1)
            self.results.append(dict(scores=_as_numpy(scores).reshape(-1).astype(np.float64),
                                     label=int(label[0])))

    def compute_metrics(self, results: List[Dict]) -> Dict[str, float]:
        """Rank every query's sign, then the metrics of ``metric_list``.

        Args:
            results (list[dict]): What :meth:`process` kept, from all ranks.

        Returns:
            dict[str, float]: Metric name -> value in percent.
        """
        scores = np.stack([r['scores'] for r in results])
        labels = [r['label'] for r in results]
        signs = self.sign_labels if self.sign_labels is not None else range(scores.shape[1])
        ks = [int(m[1:]) for m in self.metric_list if m.startswith('R')]
        values = retrieval_metrics(scores, labels, list(signs), ks)
        return OrderedDict((m, values[m]) for m in self.metric_list)
