"""Data structures of SignMAE: the per-video sign annotation and the annotation list.

The file format of the whole package (preprocessing writes it, datasets and the demo read it),
kept here as mmaction2 keeps its data structures in ``mmaction.structures``.
"""
from .annotation_list import dump_annotation_list, load_annotation_list
from .part_maps import dense_part_maps, part_maps_from_label_map, sparse_part_maps
from .sign_annotation_format import (FORMAT_VERSION, HAND_KEYPOINTS, KEYPOINT_LAYOUT,
                                     KEYPOINT_RANGES, LEFT_SHOULDER, LEFT_WRIST, NUM_KEYPOINTS,
                                     PART_GROUP_SAPIENS_CLASSES, PART_GROUPS, PART_MAP_SCALE,
                                     REQUIRED_KEYS, RIGHT_SHOULDER, RIGHT_WRIST, SAPIENS_CLASSES,
                                     SPARSE_PART_MAP_KEYS, SignAnnotationError,
                                     part_group_indices, validate_sign_annotation)
from .sign_annotation_io import load_sign_annotation, save_sign_annotation

__all__ = [
    'FORMAT_VERSION', 'NUM_KEYPOINTS', 'KEYPOINT_LAYOUT', 'KEYPOINT_RANGES', 'LEFT_SHOULDER',
    'RIGHT_SHOULDER', 'LEFT_WRIST', 'RIGHT_WRIST', 'HAND_KEYPOINTS', 'SAPIENS_CLASSES',
    'PART_GROUPS', 'PART_GROUP_SAPIENS_CLASSES', 'PART_MAP_SCALE', 'REQUIRED_KEYS',
    'SPARSE_PART_MAP_KEYS', 'SignAnnotationError', 'part_group_indices',
    'part_maps_from_label_map', 'sparse_part_maps', 'dense_part_maps',
    'validate_sign_annotation', 'save_sign_annotation', 'load_sign_annotation',
    'load_annotation_list', 'dump_annotation_list'
]
