"""Data transforms of SignMAE (registered in ``mmaction.registry.TRANSFORMS``)."""
from .clip_geometry import ClipGeometry, cell_overlap_matrices, get_clip_geometry, map_part_maps
from .hand_movement import HAND_MOTION_META_KEYS, HandMovementCheck
from .keypoint_check import CheckSignKeypoints
from .keypoint_subset import (COCO_WHOLEBODY_FLIP_INDICES, KEYPOINT_SUBSETS, NLA_SLR_63,
                              NLA_SLR_63_LEFT_KP, NLA_SLR_63_RIGHT_KP, SelectKeypoints,
                              keypoint_subset, subset_flip_pairs)
from .loading import LoadSignAnnotation
from .masking import (MASK_COMMON_ARGS, MASK_META_KEYS, RandomMask, SegmentGuidedHandMask,
                      TubeMask, as_mask, floyd_subset, is_token_mask, random_mask,
                      sample_distinct, token_masks, tube_mask)
from .motion_mask import MotionAwareMask
from .pose_inputs import ClipLenPerModality, ImgShapeFromAnnotation
from .sampling import SampleSignFrames

__all__ = [
    'LoadSignAnnotation', 'TubeMask', 'RandomMask', 'SegmentGuidedHandMask', 'MotionAwareMask',
    'HandMovementCheck',
    'MASK_META_KEYS', 'MASK_COMMON_ARGS', 'token_masks', 'is_token_mask', 'as_mask',
    'HAND_MOTION_META_KEYS', 'ClipGeometry', 'get_clip_geometry',
    'cell_overlap_matrices', 'map_part_maps', 'tube_mask', 'random_mask',
    'sample_distinct', 'floyd_subset', 'CheckSignKeypoints', 'SelectKeypoints',
    'ImgShapeFromAnnotation', 'ClipLenPerModality', 'COCO_WHOLEBODY_FLIP_INDICES',
    'KEYPOINT_SUBSETS', 'NLA_SLR_63', 'NLA_SLR_63_LEFT_KP', 'NLA_SLR_63_RIGHT_KP',
    'keypoint_subset', 'subset_flip_pairs', 'SampleSignFrames'
]
