"""Helpers for the dataset / transform tests: sign clips with a red "hand" and a blue
"forearm" drawn at known places in a real mp4, with the matching sign annotation (keypoints,
person box, part maps made from the drawn label map through ``part_maps_from_label_map``)."""
import json
from pathlib import Path
from typing import Dict, List, Sequence

import numpy as np
from mmaction.registry import TRANSFORMS
from mmengine.dataset import Compose

import signmae_mm  # noqa: F401  (registers our transforms)
from signmae_mm.structures import KEYPOINT_RANGES, PART_GROUPS, SAPIENS_CLASSES

H, W = 96, 128  # non-square on purpose: catches height/width mix-ups
GRID = (24, 32)  # 4x4-pixel cells: the drawn parts lie on cell borders, part maps are exact
HAND = 16  # side of the hand square in pixels
HAND_RGB = (255, 0, 0)  # decord returns RGB
ARM_RGB = (0, 0, 255)
LEFT_HAND = SAPIENS_CLASSES.index('Left_Hand')
LEFT_LOWER_ARM = SAPIENS_CLASSES.index('Left_Lower_Arm')


def hand_box(t: int, num_frames: int, motion: str) -> tuple:
    """``(x1, y1, x2, y2)`` of the hand in frame ``t``: moves right (and a little down)."""
    if motion == 'static':
        t = 0
    x = 12 + 4 * ((t * 18) // max(num_frames - 1, 1))
    y = 20 + 4 * (t // 4)
    return x, y, x + HAND, y + HAND


def draw_sign_clip(num_frames: int = 16, motion: str = 'moving', seed: int = 0):
    """Frames (BGR), the Sapiens-class label map and keypoints of a synthetic signer.

    Args:
        num_frames (int): T.
        motion (str): ``'moving'``, ``'static'`` (hand stays put) or ``'none'`` (no hand, no
            arm: only the shoulders are detected).
        seed (int): Background noise seed.

    Returns:
        dict: ``frames`` (T, H, W, 3) BGR, ``labels`` (T, H, W), ``keypoints`` (T, 133, 2),
        ``scores`` (T, 133), ``boxes`` (T, 4), ``hand_boxes`` list of (x1, y1, x2, y2) or None.
    """
    rng = np.random.default_rng(seed)
    frames = rng.integers(0, 60, size=(num_frames, H, W, 3), dtype=np.uint8)
    labels = np.zeros((num_frames, H, W), dtype=np.int64)
    kps = np.zeros((num_frames, 133, 2), dtype=np.float32)
    scores = np.zeros((num_frames, 133), dtype=np.float32)
    kps[:, 5], kps[:, 6] = (44, 60), (84, 60)  # shoulders: 40 px apart
    scores[:, [5, 6]] = 0.9
    boxes = np.tile(np.array([[20, 10, 108, 96]], np.float32), (num_frames, 1))
    hand_boxes: List = []
    for t in range(num_frames):
        if motion == 'none':
            hand_boxes.append(None)
            continue
        x1, y1, x2, y2 = hand_box(t, num_frames, motion)
        hand_boxes.append((x1, y1, x2, y2))
        ax1, ay1, ax2, ay2 = x1 + 4, y2, x1 + 12, y2 + 24  # forearm below the hand
        frames[t, y1:y2, x1:x2] = HAND_RGB[::-1]
        frames[t, ay1:ay2, ax1:ax2] = ARM_RGB[::-1]
        labels[t, y1:y2, x1:x2] = LEFT_HAND
        labels[t, ay1:ay2, ax1:ax2] = LEFT_LOWER_ARM
        # 21 left-hand points on a grid inside the square, the left wrist below it
        a, b = KEYPOINT_RANGES['left_hand']
        gx, gy = np.meshgrid(np.linspace(x1 + 2, x2 - 2, 7), np.linspace(y1 + 2, y2 - 2, 3))
        kps[t, a:b] = np.stack([gx.ravel(), gy.ravel()], -1)
        scores[t, a:b] = 0.8
        kps[t, 9] = ((x1 + x2) / 2, y2)
        scores[t, 9] = 0.9
    return dict(frames=frames, labels=labels, keypoints=kps, scores=scores, boxes=boxes,
                hand_boxes=hand_boxes)


def build_pipeline(cfgs: Sequence[dict]) -> Compose:
    """A real mmaction2 pipeline (every transform built from ``mmaction.registry.TRANSFORMS``)."""
    return Compose([TRANSFORMS.build(dict(c)) for c in cfgs])


def sample_info(sample: Dict, test_mode: bool = False) -> dict:
    """The data info that ``SignVideoDataset`` would give for ``sample``."""
    return dict(filename=str(sample['video']), label=0, sign_ann=str(sample['ann']),
                modality='RGB', start_index=0, test_mode=test_mode)


LOAD = [
    dict(type='DecordInit'),
    dict(type='SampleFrames', clip_len=16, frame_interval=1, num_clips=1),
    dict(type='DecordDecode'),
    dict(type='LoadSignAnnotation'),
]


def read_json(path: Path) -> dict:
    return json.loads(Path(path).read_text())


__all__ = ['H', 'W', 'GRID', 'HAND', 'HAND_RGB', 'ARM_RGB', 'PART_GROUPS', 'LOAD',
           'build_pipeline', 'sample_info', 'draw_sign_clip', 'hand_box', 'read_json']
