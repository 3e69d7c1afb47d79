"""The drawn signer: body proportions, arm inverse kinematics and COCO-WholeBody keypoints.

:func:`pose_signer` turns wrist trajectories and hand shapes into everything the rasteriser draws
(head, torso, arms, palms) and the 133 COCO-WholeBody keypoints of the same geometry, for all
frames at once. Points that are drawn and inside the frame get score 1; points that are not drawn
(legs, feet) or fall outside the frame get score 0 and coordinates 0.

Coordinates: body units (see :mod:`signmae_mm.demo.signs`) are mapped to pixels by
``origin + scale * p``; in pixels, integer coordinates are pixel centres (OpenCV's convention).
"""
from dataclasses import dataclass
from typing import Dict, Tuple

import numpy as np

from ..structures import KEYPOINT_RANGES, NUM_KEYPOINTS
from .hand import PALM_OUTLINE, HandShape, hand_points, place_hand

__all__ = ['BodyShape', 'SignerPose', 'arm_elbows', 'face_points', 'pose_signer']

# COCO-WholeBody body indices ("left" = the signer's left, the image's right).
_NOSE, _L_EYE, _R_EYE, _L_EAR, _R_EAR = 0, 1, 2, 3, 4
_SHOULDER = {'left': 5, 'right': 6}
_ELBOW = {'left': 7, 'right': 8}
_WRIST = {'left': 9, 'right': 10}
_HIP = {'left': 11, 'right': 12}
_FACE0 = KEYPOINT_RANGES['face'][0]
_HAND0 = {'left': KEYPOINT_RANGES['left_hand'][0], 'right': KEYPOINT_RANGES['right_hand'][0]}
#: Keypoints that the renderer never draws (knees, ankles, feet).
_NOT_DRAWN = tuple(range(13, 17)) + tuple(range(*KEYPOINT_RANGES['feet']))

# Torso outline (body units, clockwise from the right shoulder top); it runs below the frame.
_TORSO = np.array([[-0.4, -0.1], [0.4, -0.1], [0.6, 0.06], [0.52, 0.75], [0.48, 1.9],
                   [-0.48, 1.9], [-0.52, 0.75], [-0.6, 0.06]])


@dataclass(frozen=True)
class BodyShape:
    """Proportions of the drawn signer, in shoulder widths (body units).

    Args:
        upper_arm (float): Shoulder to elbow.
        forearm (float): Elbow to wrist.
        hand (float): Wrist to middle fingertip.
        head_radii (tuple[float, float]): Half width and half height of the head ellipse.
        head_y (float): Height of the head centre (negative = above the shoulders).
        shoulder_y (float): Height of the shoulder joints.
        neck_width (float): Neck width.
        upper_arm_width (float): Thickness of the upper arm (sleeve).
        forearm_width (float): Thickness of the forearm.
        finger_width (float): Thickness of a finger, in hand lengths.
        hip_y (float): Height of the hip keypoints.
        hand_depth (float): How far in front of the shoulders the hands sign.
    """
    upper_arm: float = 0.62
    forearm: float = 0.56
    hand: float = 0.42
    head_radii: Tuple[float, float] = (0.2, 0.27)
    head_y: float = -0.47
    shoulder_y: float = 0.04
    neck_width: float = 0.17
    upper_arm_width: float = 0.17
    forearm_width: float = 0.135
    finger_width: float = 0.12
    hip_y: float = 1.45
    hand_depth: float = 0.3


@dataclass
class SignerPose:
    """Everything drawn of the signer over a clip, in pixels of the output frame.

    Attributes:
        keypoints (np.ndarray): ``(T, 133, 2)`` COCO-WholeBody points.
        keypoint_scores (np.ndarray): ``(T, 133)``, 1 = drawn and inside the frame, else 0.
        head_center (np.ndarray): ``(T, 2)`` centre of the head ellipse.
        head_axes (np.ndarray): ``(2,)`` half axes of the head ellipse.
        face (np.ndarray): ``(T, 68, 2)`` face points (also where the features are drawn).
        torso (np.ndarray): ``(T, 8, 2)`` torso polygon.
        neck (np.ndarray): ``(T, 4, 2)`` neck quadrilateral.
        joints (dict): ``'left'`` / ``'right'`` -> ``(T, 3, 2)`` shoulder, elbow, wrist.
        hands (dict): ``'left'`` / ``'right'`` -> ``(T, 21, 2)`` hand points.
        palms (dict): ``'left'`` / ``'right'`` -> ``(T, P, 2)`` palm polygons.
        widths (dict): Thicknesses in pixels: ``upper_arm``, ``forearm``, ``finger``.
    """
    keypoints: np.ndarray
    keypoint_scores: np.ndarray
    head_center: np.ndarray
    head_axes: np.ndarray
    face: np.ndarray
    torso: np.ndarray
    neck: np.ndarray
    joints: Dict[str, np.ndarray]
    hands: Dict[str, np.ndarray]
    palms: Dict[str, np.ndarray]
    widths: Dict[str, float]


def arm_elbows(shoulder: np.ndarray, wrist: np.ndarray, upper: float, fore: float, side: str,
               depth: float = 0.0) -> Tuple[np.ndarray, np.ndarray]:
    """Two-link inverse kinematics in 3-D, seen from the front: elbows for wanted wrists.

    The wrist is held ``depth`` in front of the shoulder plane (less where the arm could not
    reach the wanted image position otherwise), so a hand raised close to the shoulder bends the
    arm towards the camera instead of folding it sideways. Of the circle of possible elbows, the
    one that hangs lowest (slightly outwards) is taken, as arms hang under gravity; the image
    shows its front projection. Out-of-reach wrists are pulled onto the reachable sphere, so the
    drawn arm and the keypoints always agree.

    Args:
        shoulder (np.ndarray): ``(T, 2)`` shoulder positions.
        wrist (np.ndarray): ``(T, 2)`` wanted wrist positions.
        upper (float): Upper-arm length.
        fore (float): Forearm length.
        side (str): ``'left'`` or ``'right'`` (which way is "out").
        depth (float): How far in front of the shoulders the wrist is held. Defaults to 0.

    Returns:
        tuple[np.ndarray, np.ndarray]: Elbows ``(T, 2)`` and the reached wrists ``(T, 2)``.
    """
    reach = upper + fore - 1e-3
    v2 = wrist - shoulder
    d2 = np.linalg.norm(v2, axis=-1)
    z = np.minimum(depth, np.sqrt(np.maximum(reach**2 - d2**2, 0.0)))
    v = np.concatenate([v2, z[:, None]], -1)  # (T, 3), z towards the camera
    dist = np.linalg.norm(v, axis=-1, keepdims=True)
    axis = v / np.maximum(dist, 1e-9)
    dist = np.clip(dist, abs(upper - fore) + 1e-3, reach)
    # the elbow circle: centre along the shoulder-wrist axis, radius from the two lengths
    along = (upper**2 + dist**2 - fore**2) / (2 * dist)
    radius = np.sqrt(np.maximum(upper**2 - along**2, 0.0))
    out = -1.0 if side == 'right' else 1.0
    down = np.array([0.3 * out, 1.0, 0.0])
    hang = down - (axis @ down)[:, None] * axis  # "down" within the circle's plane
    norm = np.linalg.norm(hang, axis=-1, keepdims=True)
    sideways = np.cross(axis, [0.0, 0.0, 1.0])  # fallback when the arm points straight down
    hang = np.where(norm > 1e-6, hang / np.maximum(norm, 1e-9), sideways)
    elbow = along * axis + radius * hang
    return shoulder + elbow[:, :2], shoulder + (dist * axis)[:, :2]


def face_points(center: np.ndarray, axes: np.ndarray) -> np.ndarray:
    """The 68 face points (iBUG order, as in COCO-WholeBody) of the drawn face.

    Jaw along the lower half of the head ellipse (image left to right), eyebrows, nose bridge
    and base, eyes and lips: the same points the rasteriser draws the features through.

    Args:
        center (np.ndarray): ``(T, 2)`` head centres.
        axes (np.ndarray): ``(2,)`` half axes of the head ellipse.

    Returns:
        np.ndarray: ``(T, 68, 2)``.
    """

    def ring(n: int, cx: float, cy: float, rx: float, ry: float, start: float) -> np.ndarray:
        a = np.deg2rad(start + 360.0 * np.arange(n) / n)
        return np.stack([cx + rx * np.cos(a), cy + ry * np.sin(a)], -1)

    jaw_angle = np.pi * (1.0 - np.arange(17) / 16.0)
    jaw = np.stack([np.cos(jaw_angle), np.sin(jaw_angle)], -1) * 0.97
    brow_x = np.linspace(0.15, 0.72, 5)
    brow_y = -0.38 - 0.06 * np.sin(np.linspace(0, np.pi, 5))
    right_brow = np.stack([-brow_x[::-1], brow_y], -1)
    left_brow = np.stack([brow_x, brow_y[::-1]], -1)
    bridge = np.stack([np.zeros(4), np.linspace(-0.22, 0.18, 4)], -1)
    nostrils = np.stack([np.linspace(-0.2, 0.2, 5), 0.28 + 0.04 * np.abs(np.linspace(-1, 1, 5))],
                        -1)
    right_eye = ring(6, -0.4, -0.15, 0.2, 0.08, 180.0)
    left_eye = ring(6, 0.4, -0.15, 0.2, 0.08, 180.0)
    outer_lips = ring(12, 0.0, 0.55, 0.36, 0.12, 180.0)
    inner_lips = ring(8, 0.0, 0.55, 0.24, 0.04, 180.0)
    local = np.concatenate(
        [jaw, right_brow, left_brow, bridge, nostrils, right_eye, left_eye, outer_lips,
         inner_lips])  # (68, 2) in head radii
    return center[:, None] + local[None] * np.asarray(axes)[None, None]


def pose_signer(body: BodyShape,
                wrists: Dict[str, np.ndarray],
                angles: Dict[str, np.ndarray],
                shapes: Dict[str, HandShape],
                scale: float,
                origin: Tuple[float, float],
                img_shape: Tuple[int, int]) -> SignerPose:
    """Pose the signer for a clip.

    Args:
        body (BodyShape): Proportions.
        wrists (dict): ``'left'`` / ``'right'`` -> ``(T, 2)`` wanted wrist positions (body
            units).
        angles (dict): ``'left'`` / ``'right'`` -> ``(T,)`` finger directions (degrees
            clockwise from up).
        shapes (dict): ``'left'`` / ``'right'`` -> hand shape.
        scale (float): Pixels per body unit.
        origin (tuple[float, float]): Pixel position of the body origin (base of the neck).
        img_shape (tuple[int, int]): ``(height, width)`` of the frame.

    Returns:
        SignerPose: The geometry, in pixels.
    """
    org = np.asarray(origin, dtype=np.float64)
    t = len(wrists['right'])

    def px(p: np.ndarray) -> np.ndarray:
        return org + scale * np.asarray(p, dtype=np.float64)

    kps = np.zeros((t, NUM_KEYPOINTS, 2))
    joints, hands, palms = {}, {}, {}
    for side, sx in (('left', 1.0), ('right', -1.0)):
        shoulder = np.tile(px([0.5 * sx, body.shoulder_y]), (t, 1))
        elbow, wrist = arm_elbows(shoulder, px(wrists[side]), scale * body.upper_arm,
                                  scale * body.forearm, side, scale * body.hand_depth)
        joints[side] = np.stack([shoulder, elbow, wrist], 1)
        hands[side] = place_hand(hand_points(shapes[side]), wrist, angles[side],
                                 scale * body.hand, side)
        palms[side] = place_hand(PALM_OUTLINE, wrist, angles[side], scale * body.hand, side)
        kps[:, _SHOULDER[side]] = shoulder
        kps[:, _ELBOW[side]] = elbow
        kps[:, _WRIST[side]] = wrist
        kps[:, _HIP[side]] = px([0.3 * sx, body.hip_y])
        a = _HAND0[side]
        kps[:, a:a + 21] = hands[side]
    head_axes = scale * np.asarray(body.head_radii, dtype=np.float64)
    head_center = np.tile(px([0.0, body.head_y]), (t, 1))
    face = face_points(head_center, head_axes)
    kps[:, _FACE0:_FACE0 + 68] = face
    kps[:, _NOSE] = face[:, 30]  # nose tip
    kps[:, _R_EYE] = face[:, 36:42].mean(1)
    kps[:, _L_EYE] = face[:, 42:48].mean(1)
    kps[:, _R_EAR] = head_center - [head_axes[0], 0.0]
    kps[:, _L_EAR] = head_center + [head_axes[0], 0.0]
    h, w = img_shape
    inside = ((kps[..., 0] >= 0) & (kps[..., 0] <= w - 1) & (kps[..., 1] >= 0)
              & (kps[..., 1] <= h - 1))
    inside[:, list(_NOT_DRAWN)] = False
    kps[~inside] = 0.0
    half_neck = 0.5 * body.neck_width
    neck = px([[-half_neck, body.head_y], [half_neck, body.head_y], [half_neck, 0.0],
               [-half_neck, 0.0]])
    return SignerPose(
        keypoints=kps.astype(np.float32),
        keypoint_scores=inside.astype(np.float32),
        head_center=head_center,
        head_axes=head_axes,
        face=face,
        torso=np.tile(px(_TORSO)[None], (t, 1, 1)),
        neck=np.tile(neck[None], (t, 1, 1)),
        joints=joints,
        hands=hands,
        palms=palms,
        widths=dict(
            upper_arm=scale * body.upper_arm_width,
            forearm=scale * body.forearm_width,
            finger=scale * body.hand * body.finger_width))
