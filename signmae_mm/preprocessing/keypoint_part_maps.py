"""Part maps drawn from whole-body keypoints: no segmentation model needed."""
import cv2
import numpy as np

from signmae_mm.structures import (KEYPOINT_RANGES, LEFT_SHOULDER, LEFT_WRIST, RIGHT_SHOULDER,
                                   RIGHT_WRIST, SAPIENS_CLASSES)

from .part_map_source import GridSize, PartMapSource

__all__ = ['KeypointPartMaps']

LEFT_ELBOW, RIGHT_ELBOW = 7, 8
_CLS = {name: SAPIENS_CLASSES.index(name) for name in SAPIENS_CLASSES}


class KeypointPartMaps(PartMapSource):
    """Part maps drawn from whole-body keypoints (no segmentation model needed).

    Per frame, in painting order (later parts cover earlier ones, as hands in front of the
    face and arms do in a segmentation): the face (hull of the face and head points), upper
    arms (shoulder to elbow) and forearms (elbow to wrist) as thick segments, then each hand as
    the convex hull of its keypoints (wrist included), widened by a margin. Widths are
    fractions of the body size: the shoulder width when both shoulders are detected, else
    ``box_body_ratio`` x the person box height, and always within 0.15-0.6 x the box height
    so that a side view (shoulders on top of each other) or a bad shoulder point cannot shrink
    or blow up the parts. Points below ``kpt_thr`` are not used: a hand with fewer than
    ``min_hand_points`` such points, or a limb segment with an undetected end, is not drawn.

    The map is drawn on a canvas of ``supersample`` x the grid (coordinates scaled per axis;
    widths become ellipses where the frame and the grid differ in aspect), so a cell's value is
    its covered fraction to ``1 / supersample**2``.

    Args:
        grid_size (int | tuple[int, int]): ``(Gh, Gw)``. Defaults to 32.
        kpt_thr (float): Minimum keypoint score. Defaults to 0.3.
        upper_arm_width (float): Upper-arm thickness / body size. Defaults to 0.3.
        forearm_width (float): Forearm thickness / body size. Defaults to 0.22.
        hand_margin (float): Margin around the hand hull / body size. Defaults to 0.06.
        face_margin (float): Margin around the face hull / body size. Defaults to 0.04.
        min_hand_points (int): Minimum detected points of a hand. Defaults to 3.
        box_body_ratio (float): Body size / box height without shoulders. Defaults to 0.3.
        supersample (int): Canvas pixels per cell side. Defaults to 8.
    """
    name = 'keypoints'

    def __init__(self,
                 grid_size: GridSize = 32,
                 kpt_thr: float = 0.3,
                 upper_arm_width: float = 0.3,
                 forearm_width: float = 0.22,
                 hand_margin: float = 0.06,
                 face_margin: float = 0.04,
                 min_hand_points: int = 3,
                 box_body_ratio: float = 0.3,
                 supersample: int = 8) -> None:
        super().__init__(grid_size)
        self.kpt_thr = float(kpt_thr)
        self.upper_arm_width = float(upper_arm_width)
        self.forearm_width = float(forearm_width)
        self.hand_margin = float(hand_margin)
        self.face_margin = float(face_margin)
        self.min_hand_points = int(min_hand_points)
        self.box_body_ratio = float(box_body_ratio)
        self.supersample = int(supersample)
        face = list(range(*KEYPOINT_RANGES['face'])) + [0, 1, 2, 3, 4]  # + nose, eyes, ears
        lh, rh = KEYPOINT_RANGES['left_hand'], KEYPOINT_RANGES['right_hand']
        # (class, points, kind): painted in this order
        self._parts = [
            (_CLS['Face_Neck'], face, 'hull', self.face_margin),
            (_CLS['Left_Upper_Arm'], [LEFT_SHOULDER, LEFT_ELBOW], 'limb', upper_arm_width),
            (_CLS['Right_Upper_Arm'], [RIGHT_SHOULDER, RIGHT_ELBOW], 'limb', upper_arm_width),
            (_CLS['Left_Lower_Arm'], [LEFT_ELBOW, LEFT_WRIST], 'limb', forearm_width),
            (_CLS['Right_Lower_Arm'], [RIGHT_ELBOW, RIGHT_WRIST], 'limb', forearm_width),
            (_CLS['Left_Hand'], [LEFT_WRIST] + list(range(*lh)), 'hand', self.hand_margin),
            (_CLS['Right_Hand'], [RIGHT_WRIST] + list(range(*rh)), 'hand', self.hand_margin),
        ]

    @property
    def needs_frames(self) -> bool:
        return False

    def body_size(self, keypoints: np.ndarray, keypoint_scores: np.ndarray,
                  bbox: np.ndarray) -> float:
        """Body size of one frame in pixels (see the class docstring); 0 = no person."""
        if not np.any(bbox):
            return 0.0  # no person box in this frame: its keypoints are not a person's
        box_h = float(bbox[3] - bbox[1])
        shoulders = keypoint_scores[[LEFT_SHOULDER, RIGHT_SHOULDER]] >= self.kpt_thr
        if shoulders.all():
            size = float(np.linalg.norm(keypoints[LEFT_SHOULDER] - keypoints[RIGHT_SHOULDER]))
        else:
            size = self.box_body_ratio * box_h
        if box_h > 0:
            size = float(np.clip(size, 0.15 * box_h, 0.6 * box_h))
        return size

    def label_maps(self, frames, img_shape, keypoints, keypoint_scores, bboxes) -> np.ndarray:
        h, w = img_shape
        gh, gw = self.grid_size
        ch, cw = gh * self.supersample, gw * self.supersample
        scale = np.array([cw / w, ch / h])
        out = np.zeros((len(bboxes), ch, cw), np.uint8)
        for t in range(len(bboxes)):
            kps, scores = np.asarray(keypoints[t], np.float64), keypoint_scores[t]
            body = self.body_size(kps, scores, bboxes[t])
            if body <= 0:
                continue
            valid = (scores >= self.kpt_thr) & np.isfinite(kps).all(1)
            for cls, idx, kind, width in self._parts:
                ok = [i for i in idx if valid[i]]
                if kind == 'limb':
                    if len(ok) == 2:
                        _draw_capsule(out[t], kps[ok[0]], kps[ok[1]], width * body / 2, scale,
                                      cls)
                elif len(ok) >= (self.min_hand_points if kind == 'hand' else 3):
                    _draw_padded_hull(out[t], kps[ok], width * body, scale, cls)
        return out


_SHIFT = 4  # cv2 fixed-point bits: sub-pixel precision on the canvas


def _fixed(points: np.ndarray) -> np.ndarray:
    return np.round(np.asarray(points) * (1 << _SHIFT)).astype(np.int32)


def _draw_capsule(canvas: np.ndarray, p: np.ndarray, q: np.ndarray, radius: float,
                  scale: np.ndarray, value: int) -> None:
    """Fill the set of frame points within ``radius`` of segment ``pq`` (canvas = frame x scale)."""
    d = q - p
    length = float(np.hypot(*d))
    if length > 1e-6:
        n = np.array([-d[1], d[0]]) / length * radius
        quad = np.stack([p + n, q + n, q - n, p - n]) * scale
        cv2.fillConvexPoly(canvas, _fixed(quad), int(value), cv2.LINE_8, _SHIFT)
    axes = _fixed(np.maximum(radius * scale, 0.5))
    for c in (p, q):
        cv2.ellipse(canvas, tuple(int(v) for v in _fixed(c * scale)), tuple(int(v) for v in axes),
                    0, 0, 360, int(value), -1, cv2.LINE_8, _SHIFT)


def _draw_padded_hull(canvas: np.ndarray, points: np.ndarray, margin: float, scale: np.ndarray,
                      value: int) -> None:
    """Fill the convex hull of ``points`` grown by ``margin`` (frame pixels)."""
    hull = cv2.convexHull(points.astype(np.float32)).reshape(-1, 2).astype(np.float64)
    if len(hull) >= 3:
        cv2.fillPoly(canvas, [_fixed(hull * scale)], int(value), cv2.LINE_8, _SHIFT)
    for a, b in zip(hull, np.roll(hull, -1, 0)):  # Minkowski sum with a disc: edge capsules
        _draw_capsule(canvas, a, b, margin, scale, value)
