"""MediaPipe Holistic landmarks -> the 133 COCO-WholeBody keypoints and the person box.

Pure NumPy on Holistic's result objects (no ``mediapipe`` import): the tables and the per-frame
conversion that :class:`~.mediapipe_holistic.MediaPipeHolistic` applies.

Mapping to the COCO-WholeBody layout of the sign annotation (:data:`KEYPOINT_RANGES`):

* body (0-16): the matching points of the 33 pose landmarks (:data:`POSE_TO_COCO_BODY`);
* feet (17-22): heels from the pose heels; the big toes from the pose's ``foot_index`` (the tip
  of the foot, MediaPipe's only toe point); the small toes are not given by MediaPipe (score 0);
* face (23-90): the 68 iBUG 300-W points (COCO-WholeBody's face layout) from a fixed table of
  the 468 face-mesh vertices (:data:`FACE_MESH_TO_COCO_FACE`);
* hands (91-111 left, 112-132 right): MediaPipe's 21 hand landmarks are in COCO-WholeBody's hand
  order already (wrist, then thumb, index, middle, ring and pinky from base to tip).

Left / right: COCO-WholeBody's "left" is the subject's left. MediaPipe *Holistic* names its
hands from the pose: ``left_hand_landmarks`` is the hand at the pose's ``LEFT_WRIST``, and the
pose's left is the subject's left on an unmirrored image (the opposite of the stand-alone Hands
solution, whose handedness assumes a mirrored selfie). So Holistic's left hand goes to COCO's left
hand, unchanged; a horizontally flipped video therefore swaps the names (its subject's left hand
is the original's right hand), exactly as COCO-WholeBody's flip pairs do
(``tests/preprocessing/test_mediapipe_holistic.py`` checks this on a flipped real clip).

Scores: pose points take the landmark's ``visibility``; hand and face points take 1 where
MediaPipe gives the hand / face (the Python Holistic solution reports no per-hand presence score:
hands below its tracking threshold are simply absent). A point MediaPipe does not give, or gives
outside the frame (an extrapolated guess), gets score 0 and position (0, 0): never a made-up
position with a positive score.

Person box: the box of every landmark given (visible pose points, hands, face mesh), extended to
the selfie-segmentation silhouette near it (the top of the head and the outline of the clothes
carry no landmark).
"""
from typing import Any, List, Optional, Tuple

import numpy as np

from signmae_mm.structures import KEYPOINT_RANGES, NUM_KEYPOINTS

__all__ = [
    'MEDIAPIPE_SOURCE', 'POSE_TO_COCO_BODY', 'POSE_TO_COCO_FEET', 'FACE_MESH_TO_COCO_FACE',
    'holistic_to_coco_wholebody', 'person_box'
]

#: Recorded as the part-map source and the keypoint source of the MediaPipe backend.
MEDIAPIPE_SOURCE = 'mediapipe-holistic'

#: COCO body point k <- MediaPipe pose landmark ``POSE_TO_COCO_BODY[k]`` (nose, eyes, ears,
#: shoulders, elbows, wrists, hips, knees, ankles; MediaPipe's eye centres are 2 and 5).
POSE_TO_COCO_BODY: Tuple[int, ...] = (0, 2, 5, 7, 8, 11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27,
                                      28)
#: COCO-WholeBody feet (17-22: left big toe, left small toe, left heel, right ...) <- pose
#: landmark; -1 = MediaPipe has no such point. ``foot_index`` (31/32) is the tip of the foot.
POSE_TO_COCO_FEET: Tuple[int, ...] = (31, -1, 29, 32, -1, 30)
#: COCO-WholeBody face point k (iBUG 300-W order) <- face-mesh vertex. "Right" = the subject's
#: right (the image's left on a facing subject): jaw 0-16 from the subject's right temple over
#: the chin, brows 17-26, nose 27-35, eyes 36-47 (outer corner first), lips 48-67.
FACE_MESH_TO_COCO_FACE: Tuple[int, ...] = (
    162, 234, 93, 58, 172, 136, 149, 148, 152, 377, 378, 365, 397, 288, 323, 454, 389,  # jaw
    70, 63, 105, 66, 107,  # right brow, outer -> inner
    336, 296, 334, 293, 300,  # left brow, inner -> outer
    168, 197, 5, 4,  # nose bridge -> tip
    98, 97, 2, 326, 327,  # nose base, right -> left
    33, 160, 158, 133, 153, 144,  # right eye
    362, 385, 387, 263, 373, 380,  # left eye
    61, 39, 37, 0, 267, 269, 291, 405, 314, 17, 84, 181,  # outer lips
    78, 82, 13, 312, 308, 317, 14, 87)  # inner lips

_FACE0 = KEYPOINT_RANGES['face'][0]
_FEET0 = KEYPOINT_RANGES['feet'][0]
_LH0 = KEYPOINT_RANGES['left_hand'][0]
_RH0 = KEYPOINT_RANGES['right_hand'][0]



def _points(landmarks, w: int, h: int) -> np.ndarray:
    """``(n, 3)`` array ``(x_px, y_px, visibility)`` of a normalised landmark list."""
    return np.array([(p.x * w, p.y * h, p.visibility) for p in landmarks.landmark], np.float64)


def holistic_to_coco_wholebody(results: Any, img_shape: Tuple[int, int],
                               pose_thr: float = 0.5) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One frame's Holistic results -> COCO-WholeBody keypoints (see the module docstring).

    Args:
        results: What ``mediapipe.solutions.holistic.Holistic.process`` returned for the frame
            (``pose_landmarks``, ``left_hand_landmarks``, ``right_hand_landmarks``,
            ``face_landmarks``, each None when not found).
        img_shape (tuple[int, int]): ``(H, W)`` of the frame.
        pose_thr (float): Pose visibility from which a pose landmark counts towards the
            person box. Defaults to 0.5.

    Returns:
        tuple[np.ndarray, np.ndarray, np.ndarray]: ``(133, 2)`` float32 keypoints in pixels,
        ``(133,)`` float32 scores, and ``(M, 2)`` pixel positions of every landmark MediaPipe
        gave inside the frame (all 33 pose points above ``pose_thr``, 468 face-mesh points,
        hands) for the person box.
    """
    h, w = img_shape
    kps = np.zeros((NUM_KEYPOINTS, 2), np.float64)
    scores = np.zeros(NUM_KEYPOINTS, np.float64)
    box_points: List[np.ndarray] = []
    pose = getattr(results, 'pose_landmarks', None)
    if pose is not None:
        p = _points(pose, w, h)
        kps[:17], scores[:17] = p[list(POSE_TO_COCO_BODY), :2], p[list(POSE_TO_COCO_BODY), 2]
        for k, idx in enumerate(POSE_TO_COCO_FEET):
            if idx >= 0:
                kps[_FEET0 + k], scores[_FEET0 + k] = p[idx, :2], p[idx, 2]
        box_points.append(p[p[:, 2] >= pose_thr, :2])
    for attr, start in (('left_hand_landmarks', _LH0), ('right_hand_landmarks', _RH0)):
        hand = getattr(results, attr, None)
        if hand is not None:
            p = _points(hand, w, h)
            kps[start:start + 21], scores[start:start + 21] = p[:21, :2], 1.0
            box_points.append(p[:, :2])
    face = getattr(results, 'face_landmarks', None)
    if face is not None:
        p = _points(face, w, h)
        kps[_FACE0:_FACE0 + 68], scores[_FACE0:_FACE0 + 68] = p[list(FACE_MESH_TO_COCO_FACE), :2], 1
        box_points.append(p[:, :2])
    # a point outside the frame is MediaPipe's extrapolation, not an observation
    inside = (kps[:, 0] >= 0) & (kps[:, 0] <= w) & (kps[:, 1] >= 0) & (kps[:, 1] <= h)
    scores[~inside] = 0
    scores = np.clip(np.nan_to_num(scores), 0, 1)
    kps[scores <= 0] = 0
    pts = np.concatenate(box_points) if box_points else np.zeros((0, 2))
    pts = pts[(pts[:, 0] >= 0) & (pts[:, 0] <= w) & (pts[:, 1] >= 0) & (pts[:, 1] <= h)]
    return kps.astype(np.float32), scores.astype(np.float32), pts


def person_box(points: np.ndarray, silhouette: Optional[np.ndarray], img_shape: Tuple[int, int],
               grow: float = 0.2, mask_thr: float = 0.5) -> np.ndarray:
    """Person box ``(x1, y1, x2, y2)`` from landmark positions and the silhouette near them.

    The landmark box is extended to the silhouette pixels inside it grown by ``grow`` x its
    size on every side: the head top and the clothes' outline have no landmark, while other
    people far away (the segmentation takes every person) stay out.

    Args:
        points (np.ndarray): ``(M, 2)`` landmark pixel positions (M = 0: no person).
        silhouette (np.ndarray, optional): ``(H, W)`` float person probability.
        img_shape (tuple[int, int]): ``(H, W)``.
        grow (float): Search margin of the silhouette, fraction of the box size.
        mask_thr (float): Silhouette threshold.

    Returns:
        np.ndarray: ``(4,)`` float32; zeros when there are fewer than 2 points.
    """
    h, w = img_shape
    if len(points) < 2:
        return np.zeros(4, np.float32)
    x1, y1 = points.min(0)
    x2, y2 = points.max(0)
    if silhouette is not None:
        gw, gh = grow * (x2 - x1), grow * (y2 - y1)
        sx1, sy1 = int(max(np.floor(x1 - gw), 0)), int(max(np.floor(y1 - gh), 0))
        sx2, sy2 = int(min(np.ceil(x2 + gw), w)), int(min(np.ceil(y2 + gh), h))
        ys, xs = np.nonzero(silhouette[sy1:sy2, sx1:sx2] >= mask_thr)
        if len(xs):
            x1, x2 = min(x1, sx1 + xs.min()), max(x2, sx1 + xs.max() + 1)
            y1, y2 = min(y1, sy1 + ys.min()), max(y2, sy1 + ys.max() + 1)
    box = np.array([x1, y1, x2, y2], np.float32)
    box[[0, 2]] = np.clip(box[[0, 2]], 0, w)
    box[[1, 3]] = np.clip(box[[1, 3]], 0, h)
    if box[2] - box[0] < 1 or box[3] - box[1] < 1:
        return np.zeros(4, np.float32)
    return box
