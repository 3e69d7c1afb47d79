"""Metrics of SignMAE."""
from .sign_acc_metric import SignAccMetric, per_class_top1

__all__ = ['SignAccMetric', 'per_class_top1']
