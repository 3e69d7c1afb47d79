"""Datasets and data transforms of SignMAE."""
from . import transforms
# the annotation format lives in signmae_mm.structures; its names stay importable from here
# (``from signmae_mm.datasets import save_sign_annotation``) for old code
from ..structures import (FORMAT_VERSION, HAND_KEYPOINTS, KEYPOINT_LAYOUT, KEYPOINT_RANGES,
                          NUM_KEYPOINTS, PART_GROUP_SAPIENS_CLASSES, PART_GROUPS, PART_MAP_SCALE,
                          SAPIENS_CLASSES, SignAnnotationError, dump_annotation_list,
                          load_annotation_list, load_sign_annotation, part_group_indices,
                          part_maps_from_label_map, save_sign_annotation,
                          validate_sign_annotation)
from . import sign_annotation  # noqa: F401  (the old module path, an alias)
from .repeated_views import decode_step, flatten_views_collate, prepare_repeated_views
from .sample_guard import (BadSampleLimitError, SampleGuardMixin, data_error_types,
                           is_data_error)
from .seeding import SeededIndex, SeededSampler, isolated_rng, sample_seed
from .sign_video_dataset import SignVideoDataset
from .transforms import (HAND_MOTION_META_KEYS, MASK_META_KEYS, CheckSignKeypoints,
                         HandMovementCheck, LoadSignAnnotation, MotionAwareMask, RandomMask,
                         SegmentGuidedHandMask, TubeMask)

__all__ = [
    'transforms', 'SignVideoDataset', 'FORMAT_VERSION', 'HAND_KEYPOINTS', 'KEYPOINT_LAYOUT',
    'KEYPOINT_RANGES', 'NUM_KEYPOINTS', 'PART_GROUP_SAPIENS_CLASSES', 'PART_GROUPS',
    'PART_MAP_SCALE', 'SAPIENS_CLASSES', 'SignAnnotationError', 'dump_annotation_list',
    'load_annotation_list', 'load_sign_annotation', 'part_group_indices',
    'part_maps_from_label_map', 'save_sign_annotation', 'validate_sign_annotation',
    'LoadSignAnnotation', 'TubeMask', 'RandomMask', 'SegmentGuidedHandMask', 'MotionAwareMask',
    'HandMovementCheck', 'MASK_META_KEYS', 'HAND_MOTION_META_KEYS', 'CheckSignKeypoints',
    'BadSampleLimitError',
    'SampleGuardMixin', 'data_error_types', 'is_data_error', 'SeededIndex', 'SeededSampler',
    'isolated_rng', 'sample_seed', 'decode_step', 'flatten_views_collate', 'prepare_repeated_views'
]
