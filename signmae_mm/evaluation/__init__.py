"""Evaluation of SignMAE (metrics registered in ``mmaction.registry.METRICS``)."""
from .linear_probe import encoder_features, linear_probe  # noqa: F401
from .metrics import SignAccMetric, per_class_top1  # noqa: F401
from .pixel_baseline import (VideoReadError, classify_features,  # noqa: F401
                             fit_pixel_baseline, load_pairs, pair_kind_accuracy, pixel_features,
                             write_report)

__all__ = [
    'SignAccMetric', 'per_class_top1', 'VideoReadError', 'pixel_features', 'load_pairs',
    'pair_kind_accuracy', 'classify_features', 'fit_pixel_baseline', 'encoder_features',
    'linear_probe', 'write_report'
]
