"""Sign recognition accuracy: per-instance top-k and per-class top-1 over the present classes."""
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
from mmaction.evaluation import (AccMetric, mean_average_precision,
                                 mmit_mean_average_precision, top_k_accuracy)
from mmaction.registry import METRICS

__all__ = ['SignAccMetric', 'per_class_top1']


def per_class_top1(scores: Union[Sequence[np.ndarray], np.ndarray],
                   labels: Union[Sequence[int], np.ndarray]) -> float:
    """Per-class top-1: the mean of the per-class accuracies over the classes in ``labels``.

    A class counts only if it has at least one sample (as reported on WLASL, NMFs-CSL and
    Slovo); predicting a class that has no sample lowers the accuracy of the sample's own class
    and nothing else. mmaction2's ``mean_class_accuracy`` differs: it averages over the classes
    that are present *or predicted*, and counts a predicted-but-absent class as 0.

    Args:
        scores (Sequence[np.ndarray] | np.ndarray): ``(num_samples, num_classes)`` scores.
        labels (Sequence[int] | np.ndarray): ``(num_samples,)`` ground-truth class indices.

    Returns:
        float: Per-class top-1 accuracy in ``[0, 1]``.
    """
    scores = np.asarray(scores)
    labels = np.asarray(labels).astype(np.int64).reshape(-1)
    if scores.ndim != 2 or len(scores) != len(labels):
        raise ValueError(f'per_class_top1 needs (N, num_classes) scores and N labels, got '
                         f'{scores.shape} and {labels.shape}')
    if len(labels) == 0:
        raise ValueError('per_class_top1 of an empty set')
    correct = np.argmax(scores, axis=1) == labels
    classes, inverse = np.unique(labels, return_inverse=True)
    hits = np.bincount(inverse, weights=correct, minlength=len(classes))
    counts = np.bincount(inverse, minlength=len(classes))
    return float(np.mean(hits / counts))


@METRICS.register_module()
class SignAccMetric(AccMetric):
    """Accuracy as sign language recognition papers report it.

    A drop-in for mmaction2's ``AccMetric`` (same arguments, same ``process``) whose results say
    what they are and whose per-class accuracy follows the papers' definition:

    * ``per_instance_top{k}`` for each ``k`` of ``metric_options['top_k_accuracy']['topk']``
      (mmaction2's ``top_k_accuracy``, ``top{k}`` in ``AccMetric``);
    * ``per_class_top1``: mean of the per-class top-1 accuracies over the classes **present** in
      the evaluated split (:func:`per_class_top1`). ``AccMetric``'s ``mean1`` also averages over
      classes that are predicted but absent, each counting 0, so it is lower whenever the model
      predicts a class that the split lacks (e.g. WLASL2000's test split misses one class).

    With the default prefix the keys are ``acc/per_instance_top1``, ``acc/per_instance_top5``
    and ``acc/per_class_top1``. ``mean_average_precision`` and ``mmit_mean_average_precision``
    work as in ``AccMetric``.

    Args:
        metric_list (str | tuple[str]): Metrics to compute. Defaults to
            ``('top_k_accuracy', 'mean_class_accuracy')``.
        collect_device (str): Device for collecting results across ranks. Defaults to 'cpu'.
        metric_options (dict, optional): ``dict(top_k_accuracy=dict(topk=(1, 5)))`` by default.
        prefix (str, optional): Key prefix; ``'acc'`` (``default_prefix``) if None.
    """

    default_prefix: Optional[str] = 'acc'

    def __init__(self,
                 metric_list: Union[str, Tuple[str, ...]] = ('top_k_accuracy',
                                                             'mean_class_accuracy'),
                 collect_device: str = 'cpu',
                 metric_options: Optional[Dict] = dict(top_k_accuracy=dict(topk=(1, 5))),
                 prefix: Optional[str] = None) -> None:
        super().__init__(
            metric_list=metric_list,
            collect_device=collect_device,
            metric_options=metric_options,
            prefix=prefix)

    def calculate(self, preds: List[np.ndarray], labels: List[Union[int, np.ndarray]]) -> Dict:
        """Compute the metrics of ``metric_list``.

        Args:
            preds (list[np.ndarray]): Class scores per sample.
            labels (list[int | np.ndarray]): Labels per sample.

        Returns:
            dict: ``per_instance_top{k}``, ``per_class_top1`` and/or the mAP keys.
        """
        results = OrderedDict()
        options = self.metric_options or {}
        for metric in self.metrics:
            if metric == 'top_k_accuracy':
                topk = options.get('top_k_accuracy', {}).get('topk', (1, 5))
                if isinstance(topk, int):
                    topk = (topk, )
                if not isinstance(topk, (tuple, list)):
                    raise TypeError(f'topk must be int or tuple of int, got {type(topk)}')
                for k, acc in zip(topk, top_k_accuracy(preds, labels, tuple(topk))):
                    results[f'per_instance_top{k}'] = float(acc)
            elif metric == 'mean_class_accuracy':
                results['per_class_top1'] = per_class_top1(preds, labels)
            elif metric == 'mean_average_precision':
                results[metric] = mean_average_precision(preds, labels)
            elif metric == 'mmit_mean_average_precision':
                results[metric] = mmit_mean_average_precision(preds, labels)
        return results
