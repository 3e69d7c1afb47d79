"""Hand shapes and the 2-D forward kinematics of the drawn hand.

A hand shape is a finger configuration: how far each finger is bent and how far the fingers are
spread. :func:`hand_points` turns it into the 21 points of a hand in COCO-WholeBody's hand order
(wrist; thumb CMC, MCP, IP, tip; index, middle, ring, pinky MCP, PIP, DIP, tip) in a hand-local
frame, and :func:`place_hand` moves them into the image. The drawn hand is a palm polygon
(:data:`PALM_OUTLINE`) plus one thick polyline per finger through its points, so the keypoints
are exactly the joints of what is drawn.

Hand-local frame: origin at the wrist, unit = hand length (wrist to middle fingertip when
straight), ``+y`` towards the fingertips, ``+x`` towards the thumb. The palm faces the camera.
"""
from dataclasses import dataclass
from typing import Dict, Tuple

import numpy as np

__all__ = [
    'NUM_HAND_POINTS', 'FINGER_NAMES', 'FINGER_POINTS', 'PALM_OUTLINE', 'HandShape',
    'HAND_SHAPES', 'hand_points', 'place_hand'
]

#: Points per hand in COCO-WholeBody (wrist + 4 per finger).
NUM_HAND_POINTS = 21
FINGER_NAMES: Tuple[str, ...] = ('thumb', 'index', 'middle', 'ring', 'pinky')
#: Hand-point indices of each finger's polyline, wrist-side joint first.
FINGER_POINTS: Tuple[Tuple[int, ...], ...] = tuple(
    tuple(range(1 + 4 * f, 5 + 4 * f)) for f in range(5))

# Finger bases (MCP joints) of index..pinky and their lengths (MCP to tip), hand-local units.
_MCP = np.array([[0.16, 0.49], [0.05, 0.52], [-0.06, 0.50], [-0.16, 0.45]])
_FINGER_LENGTH = np.array([0.45, 0.48, 0.45, 0.36])
# Phalanx fractions (proximal, middle, distal) and the largest flexion of each joint (degrees):
# a fully bent finger (curl 1) folds back over the palm, as in a fist.
_PHALANX = np.array([0.45, 0.30, 0.25])
_MAX_FLEXION = np.array([80.0, 100.0, 70.0])
# Base direction of each finger (degrees towards the thumb side) per unit of spread.
_SPREAD_DEG = np.array([12.0, 0.0, -9.0, -20.0])
# Thumb: CMC joint, segment lengths (CMC-MCP, MCP-IP, IP-tip), and its direction (degrees
# towards the thumb side) when along the index finger (thumb_out 0) or out to the side (1).
_THUMB_CMC = np.array([0.13, 0.10])
_THUMB_LENGTH = np.array([0.2, 0.15, 0.13])
_THUMB_DIR = (15.0, 50.0)

#: Palm polygon, hand-local (wrist, thumb base, the four MCP joints, back to the wrist).
PALM_OUTLINE = np.array([[0.14, 0.0], [0.21, 0.17], [0.19, 0.47], [0.05, 0.55], [-0.07, 0.53],
                         [-0.19, 0.46], [-0.18, 0.0]])


@dataclass(frozen=True)
class HandShape:
    """A finger configuration.

    Args:
        name (str): Short name (ASL-like handshape names are used for the built-in shapes).
        curls (tuple[float, ...]): Bend of thumb, index, middle, ring, pinky; 0 = straight,
            1 = fully bent (folded over the palm).
        spread (float): 0 = fingers together, 1 = spread. Defaults to 0.
        thumb_out (float): Thumb abduction; 0 = along the index finger, 1 = out to the side.
            Defaults to 0.
    """
    name: str
    curls: Tuple[float, float, float, float, float]
    spread: float = 0.0
    thumb_out: float = 0.0


def _shape(name: str, curls: Tuple[float, ...], spread: float = 0.0,
           thumb_out: float = 0.0) -> HandShape:
    return HandShape(name, tuple(float(c) for c in curls), spread, thumb_out)


#: The built-in hand shapes (ASL-like), by name.
HAND_SHAPES: Dict[str, HandShape] = {
    s.name: s
    for s in (
        _shape('flat', (0.15, 0, 0, 0, 0)),  # B: fingers together, thumb along the palm
        _shape('open5', (0, 0, 0, 0, 0), spread=1, thumb_out=1),  # 5: all spread
        _shape('fist', (1, 1, 1, 1, 1)),  # S: thumb across the bent fingers
        _shape('y', (0, 1, 1, 1, 0), spread=1, thumb_out=1),  # Y: thumb and pinky out
        _shape('point', (0.9, 0, 1, 1, 1)),  # 1: index only
        _shape('v', (0.9, 0, 0, 1, 1), spread=1),  # V: index and middle, spread
        _shape('l', (0, 0, 1, 1, 1), thumb_out=1),  # L: thumb and index
        _shape('claw', (0.45, 0.55, 0.55, 0.55, 0.55), spread=1, thumb_out=0.8),  # bent 5
        _shape('three', (0, 0, 0, 1, 1), spread=1, thumb_out=1),  # 3: thumb, index, middle
        _shape('w', (0.9, 0, 0, 0, 1), spread=1),  # W: index, middle, ring
        _shape('relaxed', (0.3, 0.25, 0.3, 0.35, 0.4), spread=0.2, thumb_out=0.3),  # at rest
    )
}


def _chain(base: np.ndarray, directions_deg: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Joint positions of a planar chain: ``base`` then one point per segment.

    Directions are measured from ``+y`` towards ``+x`` (the thumb side).
    """
    rad = np.deg2rad(directions_deg)
    steps = np.stack([np.sin(rad), np.cos(rad)], -1) * lengths[:, None]
    return np.concatenate([base[None], base + np.cumsum(steps, 0)], 0)


def hand_points(shape: HandShape) -> np.ndarray:
    """The 21 hand points of a hand shape in the hand-local frame.

    Finger bending is a rotation towards the camera about each joint; seen from the front it
    shortens a phalanx by the cosine of its accumulated flexion (an orthographic projection), so a
    fully bent finger folds back down over the palm.

    Args:
        shape (HandShape): The finger configuration.

    Returns:
        np.ndarray: ``(21, 2)`` float64, COCO-WholeBody hand order, hand-local units.
    """
    curls = np.clip(np.asarray(shape.curls, dtype=np.float64), 0.0, 1.0)
    points = np.zeros((NUM_HAND_POINTS, 2))
    for f in range(4):  # index..pinky
        flexion = np.cumsum(_MAX_FLEXION * curls[f + 1])
        lengths = _FINGER_LENGTH[f] * _PHALANX * np.cos(np.deg2rad(flexion))
        direction = np.full(3, _SPREAD_DEG[f] * shape.spread)
        points[list(FINGER_POINTS[f + 1])] = _chain(_MCP[f], direction, lengths)
    # The thumb bends across the palm rather than towards the camera: each segment turns
    # towards the little finger and shortens a little.
    c = curls[0]
    start = _THUMB_DIR[0] + (_THUMB_DIR[1] - _THUMB_DIR[0]) * shape.thumb_out
    turn = np.cumsum(np.array([45.0, 60.0, 40.0]) * c)
    lengths = _THUMB_LENGTH * (1.0 - 0.3 * c)
    points[list(FINGER_POINTS[0])] = _chain(_THUMB_CMC, start - turn, lengths)
    return points


def place_hand(local: np.ndarray, wrist: np.ndarray, angle_deg: np.ndarray, length: float,
               side: str) -> np.ndarray:
    """Move hand-local points into the image, for every frame at once.

    Args:
        local (np.ndarray): Hand-local points, ``(N, 2)``.
        wrist (np.ndarray): Wrist positions in the image, ``(T, 2)``.
        angle_deg (np.ndarray): Finger direction in the image, ``(T,)``, degrees clockwise from
            straight up (image ``y`` points down).
        length (float): Hand length in image units.
        side (str): ``'right'`` or ``'left'``: whose hand (the signer's). The palm faces the
            camera, so the thumb of the right hand points to the image's right when the fingers
            point up, and the left hand is its mirror image.

    Returns:
        np.ndarray: ``(T, N, 2)`` image points.
    """
    if side not in ('left', 'right'):
        raise ValueError(f"side must be 'left' or 'right', got {side!r}")
    a = np.deg2rad(np.asarray(angle_deg, dtype=np.float64))[:, None]
    fingers = np.stack([np.sin(a), -np.cos(a)], -1)  # (T, 1, 2) fingertip direction
    thumb = np.stack([np.cos(a), np.sin(a)], -1)  # fingers turned 90 degrees clockwise
    if side == 'left':
        thumb = -thumb
    local = np.asarray(local, dtype=np.float64)[None]
    return (np.asarray(wrist, dtype=np.float64)[:, None]
            + length * (local[..., :1] * thumb + local[..., 1:] * fingers))
