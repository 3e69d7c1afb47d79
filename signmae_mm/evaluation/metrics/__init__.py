"""Metrics of SignMAE."""
from .sign_acc_metric import SignAccMetric, per_class_top1
from .sign_retrieval_metric import SignRetrievalMetric, retrieval_metrics, sign_ranks

__all__ = ['SignAccMetric', 'SignRetrievalMetric', 'per_class_top1', 'retrieval_metrics',
           'sign_ranks']
