"""Procedural sign-language demo data: a drawn signer performing a small vocabulary.

Each class is a sign (a hand shape plus a hand trajectory); classes come in fine-grained pairs
that differ only in the hand shape or only in a small, late part of the motion. Clips come with
exact ground truth in the SignMAE annotation format (COCO-WholeBody keypoints, person boxes, part
maps). Not imported by ``signmae_mm`` itself: use ``tools/make_demo_data.py`` or
:func:`write_demo_dataset`.
"""
from .appearance import Appearance, sample_appearance
from .dataset import (SPLITS, DemoDataset, split_counts, write_demo_dataset,
                      write_noisy_annotations)
from .generator import RenderedClip, clip_phase, render_clip
from .hand import HAND_SHAPES, HandShape, hand_points
from .keypoint_noise import KeypointNoise
from .rasterize import PAINT_CLASSES, PAINTS
from .signer import BodyShape, SignerPose, pose_signer
from .signs import (SIGN_PAIRS, VOCABULARY, Sign, SignPair, Trajectory, get_vocabulary,
                    motion_split)

__all__ = [
    'Appearance', 'sample_appearance', 'SPLITS', 'DemoDataset', 'split_counts',
    'write_demo_dataset', 'write_noisy_annotations', 'RenderedClip', 'clip_phase',
    'render_clip', 'HAND_SHAPES', 'HandShape', 'hand_points', 'KeypointNoise', 'PAINTS',
    'PAINT_CLASSES', 'BodyShape', 'SignerPose', 'pose_signer', 'SIGN_PAIRS', 'VOCABULARY',
    'Sign', 'SignPair', 'Trajectory', 'get_vocabulary', 'motion_split'
]
