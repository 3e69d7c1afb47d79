"""Data transforms of SignMAE (registered in ``mmaction.registry.TRANSFORMS``)."""
from .clip_geometry import ClipGeometry, cell_overlap_matrices, get_clip_geometry, map_part_maps
from .hand_movement import HAND_MOTION_META_KEYS, HandMovementCheck
from .loading import LoadSignAnnotation
from .masking import (MASK_META_KEYS, RandomMask, SegmentGuidedHandMask, TubeMask, random_mask,
                      sample_distinct, tube_mask)

__all__ = [
    'LoadSignAnnotation', 'TubeMask', 'RandomMask', 'SegmentGuidedHandMask', 'HandMovementCheck',
    'MASK_META_KEYS', 'HAND_MOTION_META_KEYS', 'ClipGeometry', 'get_clip_geometry',
    'cell_overlap_matrices', 'map_part_maps', 'tube_mask', 'random_mask',
    'sample_distinct'
]
