"""Rasterise a posed signer into *paint maps*, then into frames and Sapiens class maps.

A paint map holds, per pixel of a supersampled canvas, which drawn part (:data:`PAINTS`) is
visible there. Both the colour frames and the body-part labels are looked up from it, so the
part maps computed from the labels describe exactly the pixels of the video: a hand's pixels are
its part map's pixels, occlusions included. The canvas is ``supersample`` times the frame size;
frames are box-filtered down to the output size (anti-aliased edges), and part maps are exact
area fractions of the fine canvas.
"""
from typing import Tuple

import cv2
import numpy as np

from ..structures import SAPIENS_CLASSES
from .appearance import Appearance
from .hand import FINGER_POINTS
from .signer import SignerPose

__all__ = [
    'PAINTS', 'PAINT_CLASSES', 'paint_index', 'paint_colours', 'draw_paint_maps',
    'paint_to_classes', 'compose_frames'
]

#: The drawn parts, in paint-id order (0 = background).
PAINTS: Tuple[str, ...] = ('background', 'hair', 'clothing', 'skin', 'eye', 'brow', 'nose',
                           'lips', 'left_upper_arm', 'left_lower_arm', 'right_upper_arm',
                           'right_lower_arm', 'left_palm', 'left_finger', 'right_palm',
                           'right_finger')
#: Sapiens body-part class of each paint (what a perfect Sapiens segmentation would answer).
PAINT_CLASSES: Tuple[str, ...] = ('Background', 'Hair', 'Upper_Clothing', 'Face_Neck',
                                  'Face_Neck', 'Face_Neck', 'Face_Neck', 'Lower_Lip',
                                  'Left_Upper_Arm', 'Left_Lower_Arm', 'Right_Upper_Arm',
                                  'Right_Lower_Arm', 'Left_Hand', 'Left_Hand', 'Right_Hand',
                                  'Right_Hand')
_CLASS_LUT = np.array([SAPIENS_CLASSES.index(c) for c in PAINT_CLASSES], dtype=np.uint8)
_SHIFT = 4  # fixed-point bits of cv2's sub-pixel drawing


def paint_index(name: str) -> int:
    """Paint id of a paint name."""
    return PAINTS.index(name)


def paint_colours(appearance: Appearance) -> np.ndarray:
    """BGR colour of each paint, ``(len(PAINTS), 3)`` uint8 (background: unused, zeros)."""
    skin = np.asarray(appearance.skin, np.float64)
    by_name = dict(
        hair=appearance.hair, clothing=appearance.clothing, skin=appearance.skin,
        eye=(45, 35, 35), brow=appearance.hair, nose=np.rint(skin * 0.8), lips=appearance.lips,
        left_upper_arm=appearance.sleeve, left_lower_arm=appearance.sleeve,
        right_upper_arm=appearance.sleeve, right_lower_arm=appearance.sleeve,
        left_palm=appearance.skin, left_finger=appearance.finger, right_palm=appearance.skin,
        right_finger=appearance.finger)
    lut = np.zeros((len(PAINTS), 3), np.uint8)
    for name, colour in by_name.items():
        lut[PAINTS.index(name)] = np.clip(colour, 0, 255)
    return lut


class _Canvas:
    """One frame's paint map with drawing helpers in output-pixel coordinates."""

    def __init__(self, shape: Tuple[int, int], supersample: int) -> None:
        self.image = np.zeros(shape, np.uint8)
        self.ss = supersample

    def _fix(self, points: np.ndarray) -> np.ndarray:
        # pixel centres: output pixel i spans canvas pixels [i*ss, (i+1)*ss)
        fine = (np.asarray(points, np.float64) + 0.5) * self.ss - 0.5
        return np.rint(fine * (1 << _SHIFT)).astype(np.int32)

    def _width(self, w: float) -> int:
        return max(1, int(round(w * self.ss)))

    def poly(self, points: np.ndarray, paint: str) -> None:
        cv2.fillPoly(self.image, [self._fix(points)], paint_index(paint), cv2.LINE_8, _SHIFT)

    def ellipse(self, center: np.ndarray, axes: Tuple[float, float], paint: str,
                start: float = 0.0, end: float = 360.0) -> None:
        c = tuple(int(v) for v in self._fix(center))
        a = tuple(int(v) for v in np.rint(np.asarray(axes) * self.ss * (1 << _SHIFT)))
        cv2.ellipse(self.image, c, a, 0.0, start, end, paint_index(paint), -1, cv2.LINE_8,
                    _SHIFT)

    def polyline(self, points: np.ndarray, paint: str, width: float) -> None:
        # thick cv2 lines have round caps: joints and fingertips come out rounded
        cv2.polylines(self.image, [self._fix(points)], False, paint_index(paint),
                      self._width(width), cv2.LINE_8, _SHIFT)


def _draw_head(canvas: _Canvas, pose: SignerPose, t: int, hair_style: str) -> None:
    c = pose.head_center[t]
    rx, ry = pose.head_axes
    face = pose.face[t]
    canvas.ellipse(c + [-0.98 * rx, 0.05 * ry], (0.16 * rx, 0.25 * ry), 'skin')  # ears
    canvas.ellipse(c + [0.98 * rx, 0.05 * ry], (0.16 * rx, 0.25 * ry), 'skin')
    canvas.ellipse(c, (rx, ry), 'skin')
    if hair_style != 'none':
        canvas.ellipse(c - [0.0, 0.5 * ry], (1.1 * rx, 0.6 * ry), 'hair', 180.0, 360.0)
    if hair_style == 'bun':
        canvas.ellipse(c - [0.0, 1.12 * ry], (0.38 * rx, 0.3 * ry), 'hair')
    line = 0.07 * ry
    canvas.polyline(face[17:22], 'brow', line)
    canvas.polyline(face[22:27], 'brow', line)
    canvas.poly(face[36:42], 'eye')
    canvas.poly(face[42:48], 'eye')
    canvas.polyline(face[27:31], 'nose', 0.5 * line)
    canvas.polyline(face[31:36], 'nose', 0.5 * line)
    canvas.poly(face[48:60], 'lips')


def _draw_arm_and_hand(canvas: _Canvas, pose: SignerPose, t: int, side: str,
                       part: str) -> None:
    if part == 'arm':
        shoulder, elbow, wrist = pose.joints[side][t]
        canvas.polyline(np.stack([shoulder, elbow]), f'{side}_upper_arm', pose.widths['upper_arm'])
        canvas.polyline(np.stack([elbow, wrist]), f'{side}_lower_arm', pose.widths['forearm'])
        return
    canvas.poly(pose.palms[side][t], f'{side}_palm')
    hand = pose.hands[side][t]
    finger = pose.widths['finger']
    for f in (4, 3, 2, 1, 0):  # pinky first, the thumb on top
        canvas.polyline(hand[list(FINGER_POINTS[f])], f'{side}_finger',
                        finger * (1.15 if f == 0 else 1.0))


def draw_paint_maps(pose: SignerPose, hair_style: str, img_shape: Tuple[int, int],
                    supersample: int = 2) -> np.ndarray:
    """Draw every frame of a posed signer into paint maps.

    Painter's order, back to front: long hair, torso, neck, ears and face, hair, facial
    features, arms (left, then right), hands (left, then right: the dominant hand is in front).

    Args:
        pose (SignerPose): The signer's geometry, in output pixels.
        hair_style (str): See :data:`signmae_mm.demo.appearance.HAIR_STYLES`.
        img_shape (tuple[int, int]): ``(H, W)`` of the output frames.
        supersample (int): Canvas pixels per output pixel (per side). Defaults to 2.

    Returns:
        np.ndarray: ``(T, H * s, W * s)`` uint8 paint ids.
    """
    h, w = img_shape
    t_len = len(pose.keypoints)
    out = np.empty((t_len, h * supersample, w * supersample), np.uint8)
    for t in range(t_len):
        canvas = _Canvas(out.shape[1:], supersample)
        c = pose.head_center[t]
        rx, ry = pose.head_axes
        if hair_style == 'long':
            canvas.poly(c + np.array([[-1.15, -0.2], [1.15, -0.2], [1.15, 1.9], [-1.15, 1.9]])
                        * [rx, ry], 'hair')
        canvas.poly(pose.torso[t], 'clothing')
        canvas.poly(pose.neck[t], 'skin')
        _draw_head(canvas, pose, t, hair_style)
        for part in ('arm', 'hand'):
            for side in ('left', 'right'):
                _draw_arm_and_hand(canvas, pose, t, side, part)
        out[t] = canvas.image
    return out


def paint_to_classes(paint: np.ndarray) -> np.ndarray:
    """Sapiens class ids (:data:`SAPIENS_CLASSES`) of paint maps, same shape, uint8."""
    return _CLASS_LUT[paint]


def compose_frames(paint: np.ndarray, appearance: Appearance, supersample: int,
                   rng: np.random.Generator) -> np.ndarray:
    """Colour paint maps, box-filter them to the output size and add sensor noise.

    Args:
        paint (np.ndarray): ``(T, H * s, W * s)`` paint ids.
        appearance (Appearance): Colours; its background must be ``(H * s, W * s, 3)``.
        supersample (int): ``s``.
        rng (np.random.Generator): Noise source.

    Returns:
        np.ndarray: ``(T, H, W, 3)`` uint8 BGR frames.
    """
    t, hs, ws = paint.shape
    h, w = hs // supersample, ws // supersample
    lut = paint_colours(appearance)
    lut = np.concatenate([lut, np.zeros((256 - len(lut), 3), np.uint8)])[:, None]  # (256, 1, 3)
    frames = np.empty((t, h, w, 3), np.uint8)
    for i in range(t):
        p = paint[i]
        fine = cv2.LUT(cv2.merge([p, p, p]), lut)
        cv2.copyTo(appearance.background, (p == 0).view(np.uint8), fine)
        # area averaging over whole s x s blocks: a box filter, anti-aliasing the edges
        frames[i] = cv2.resize(fine, (w, h), interpolation=cv2.INTER_AREA)
    if appearance.noise > 0:
        # uniform integer noise with saturating addition: a tenth of the cost of Gaussian
        # float noise, and sensor noise needs no particular distribution here
        a = appearance.noise
        noise = rng.integers(-a, a + 1, size=frames.shape, dtype=np.int8)
        frames = cv2.add(frames.reshape(-1, 3), noise.reshape(-1, 3),
                         dtype=cv2.CV_8U).reshape(frames.shape)
    return frames
