"""Evaluation of SignMAE (metrics registered in ``mmaction.registry.METRICS``)."""
from .metrics import SignAccMetric, per_class_top1  # noqa: F401

__all__ = ['SignAccMetric', 'per_class_top1']
