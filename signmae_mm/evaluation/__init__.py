"""Evaluation of SignMAE (metrics registered in ``mmaction.registry.METRICS``): the sign
accuracy and sign retrieval metrics, late fusion of score dumps, the raw-pixel and keypoint
baselines, the linear probe and the comparison table of several results."""
from .comparison import COLUMNS, compare_results, format_comparison, result_metrics
from .hand_size import hand_extents, tokens_per_hand
from .keypoint_baseline import KEYPOINT_SUBSET, fit_keypoint_baseline, keypoint_features
from .linear_classifier import classify_features, write_report
from .linear_probe import (POOLINGS, encoder_features, linear_probe, linear_probes,
                           pooled_features)
from .metrics import (SignAccMetric, SignRetrievalMetric, per_class_top1, retrieval_metrics,
                      sign_ranks)
from .pair_accuracy import Pair, load_pairs, pair_kind_accuracy
from .pixel_baseline import VideoReadError, fit_pixel_baseline, pixel_features
from .score_fusion import (DumpError, fit_weights, fuse, fusion_metrics, late_fusion,
                           load_dumps, save_fusion_checkpoint, write_fusion_report)

__all__ = [
    'COLUMNS', 'compare_results', 'format_comparison', 'result_metrics', 'SignAccMetric',
    'SignRetrievalMetric', 'per_class_top1', 'retrieval_metrics', 'sign_ranks', 'VideoReadError',
    'pixel_features', 'load_pairs', 'pair_kind_accuracy', 'Pair', 'classify_features',
    'fit_pixel_baseline', 'encoder_features', 'linear_probe', 'linear_probes', 'pooled_features',
    'POOLINGS', 'write_report', 'DumpError', 'fit_weights', 'fuse', 'fusion_metrics',
    'late_fusion', 'KEYPOINT_SUBSET', 'keypoint_features', 'fit_keypoint_baseline',
    'hand_extents', 'tokens_per_hand', 'load_dumps', 'save_fusion_checkpoint',
    'write_fusion_report'
]
