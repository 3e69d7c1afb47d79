"""Whole-body keypoints without weight files: MediaPipe Holistic, mapped to COCO-WholeBody 133.

``mediapipe==0.10.9`` ships the Holistic models (pose, hand and face landmarks, palm and pose
detection, selfie segmentation) as ``.tflite`` files inside its wheel, so this backend runs on a
laptop CPU with nothing to download. It is optional: install it with
``bash tools/install.sh`` (core and full stacks alike) or ``pip install -e .[mediapipe]``.

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
import os.path as osp
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

from signmae_mm.datasets.sign_annotation import KEYPOINT_RANGES, NUM_KEYPOINTS, SAPIENS_CLASSES

from .errors import NoPersonError
from .part_maps import GridSize, KeypointPartMaps
from .pipeline import VideoAnnotation, VideoPreprocessor
from .signer_tracking import SignerTrack, fill_missing_boxes, whole_frame_track

__all__ = [
    'MEDIAPIPE_INSTALL_HINT', 'MEDIAPIPE_SOURCE', 'POSE_TO_COCO_BODY', 'POSE_TO_COCO_FEET',
    'FACE_MESH_TO_COCO_FACE', 'MediaPipeNotInstalledError', 'import_mediapipe',
    'holistic_to_coco_wholebody', 'HolisticFrames', 'MediaPipeHolistic',
    'SilhouetteKeypointPartMaps', 'HolisticVideoPreprocessor'
]

#: Recorded as the part-map source and the keypoint source of this backend.
MEDIAPIPE_SOURCE = 'mediapipe-holistic'
#: The version whose wheel ships every Holistic model (later ones need jax or downloads).
MEDIAPIPE_VERSION = '0.10.9'
MEDIAPIPE_INSTALL_HINT = ('bash tools/install.sh   (MediaPipe is in its core stack; or: pip '
                          f'install -e .[mediapipe], i.e. mediapipe=={MEDIAPIPE_VERSION})')

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


class MediaPipeNotInstalledError(ImportError):
    """The optional ``mediapipe`` extra is missing (or unusable)."""


def import_mediapipe():
    """Import ``mediapipe`` or fail with the command that installs it.

    Returns:
        module: ``mediapipe``.

    Raises:
        MediaPipeNotInstalledError: mediapipe is absent, does not import, or lacks the
            Holistic models in its wheel.
    """
    try:
        import mediapipe as mp
        from mediapipe.python.solutions import holistic  # noqa: F401
    except ImportError as e:
        raise MediaPipeNotInstalledError(
            f'--pose-backend mediapipe needs the optional "mediapipe" extra ({e}). Install it '
            f'with: {MEDIAPIPE_INSTALL_HINT}') from e
    # without the bundled model the graph would try to download it at run time, and fail
    # offline with an obscure error: say what is wrong instead
    model = osp.join(osp.dirname(mp.__file__), 'modules', 'pose_landmark',
                     'pose_landmark_full.tflite')
    if not osp.isfile(model):
        raise MediaPipeNotInstalledError(
            f'mediapipe {getattr(mp, "__version__", "?")} at {osp.dirname(mp.__file__)} does '
            f'not ship the Holistic models ({model} is missing); this backend needs '
            f'mediapipe=={MEDIAPIPE_VERSION}: {MEDIAPIPE_INSTALL_HINT}')
    return mp


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


@dataclass
class HolisticFrames:
    """MediaPipe Holistic output for ``n`` frames, in the sign annotation's terms.

    Attributes:
        keypoints (np.ndarray): ``(n, 133, 2)`` float32 COCO-WholeBody keypoints, pixels.
        keypoint_scores (np.ndarray): ``(n, 133)`` float32; 0 = not given.
        bboxes (np.ndarray): ``(n, 4)`` float32 person boxes; zeros = no person.
        silhouettes (list[np.ndarray | None]): Per frame the ``(H, W)`` float32 person
            probability of the selfie segmentation (None without a person, or with the
            segmentation off).
    """
    keypoints: np.ndarray
    keypoint_scores: np.ndarray
    bboxes: np.ndarray
    silhouettes: List[Optional[np.ndarray]]


class MediaPipeHolistic:
    """MediaPipe Holistic as a 133-point whole-body keypoint source (see the module docstring).

    Holistic tracks the person from frame to frame, so frames must come in video order and
    :meth:`reset` must be called between videos (:class:`HolisticVideoPreprocessor` does).
    It finds the person itself: no detector is needed, and the boxes given to :meth:`__call__`
    (the :class:`WholeBodyPoseEstimator` interface) only blank frames that have none.

    Args:
        min_detection_confidence (float): Person (pose) detection threshold. Defaults to 0.5.
        min_tracking_confidence (float): Landmark tracking threshold, below which the person
            is detected again; also decides whether a hand is reported. Defaults to 0.5.
        smooth_landmarks (bool): Temporal smoothing of the pose landmarks. Defaults to True.
        enable_segmentation (bool): Compute the person silhouette (for the person box and
            the part-map trimming). Defaults to True.
        refine_face_landmarks (bool): Run the attention face mesh (lips and eyes refined;
            slower). Defaults to False.
        model_complexity (int): Pose model; only 1 (``pose_landmark_full``) is in the
            0.10.9 wheel, 0 and 2 would be downloaded at run time. Defaults to 1.
        pose_thr (float): Pose visibility from which a landmark counts towards the person
            box. Defaults to 0.5.

    Raises:
        MediaPipeNotInstalledError: The ``mediapipe`` extra is missing.
    """
    name = MEDIAPIPE_SOURCE

    def __init__(self,
                 min_detection_confidence: float = 0.5,
                 min_tracking_confidence: float = 0.5,
                 smooth_landmarks: bool = True,
                 enable_segmentation: bool = True,
                 refine_face_landmarks: bool = False,
                 model_complexity: int = 1,
                 pose_thr: float = 0.5) -> None:
        mp = import_mediapipe()
        if model_complexity != 1:
            raise ValueError(f'model_complexity={model_complexity}: mediapipe '
                             f'{MEDIAPIPE_VERSION} ships only the pose model of complexity 1; '
                             'the others would be downloaded at run time')
        self.version = getattr(mp, '__version__', '?')
        self.options = dict(static_image_mode=False, model_complexity=model_complexity,
                            smooth_landmarks=bool(smooth_landmarks),
                            enable_segmentation=bool(enable_segmentation),
                            smooth_segmentation=bool(enable_segmentation),
                            refine_face_landmarks=bool(refine_face_landmarks),
                            min_detection_confidence=float(min_detection_confidence),
                            min_tracking_confidence=float(min_tracking_confidence))
        self.pose_thr = float(pose_thr)
        self._holistic_cls = mp.solutions.holistic.Holistic
        self._graph = None
        # what VideoPreprocessor.describe() records, like the mmpose estimator's config/ckpt
        self.config = f'{MEDIAPIPE_SOURCE} (mediapipe {self.version})'
        self.checkpoint = osp.join(osp.dirname(mp.__file__), 'modules')

    def reset(self) -> None:
        """Forget the tracking state (call between videos)."""
        if self._graph is not None:
            self._graph.close()
            self._graph = None

    def close(self) -> None:
        """Release the MediaPipe graph."""
        self.reset()

    def __enter__(self) -> 'MediaPipeHolistic':
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # no __del__: closing a MediaPipe graph from a finaliser at interpreter exit deadlocked here
    # (graph.close() waits for its threads); close it explicitly or with ``with``

    def process(self, frames: Sequence[np.ndarray]) -> HolisticFrames:
        """Run Holistic on the next frames of the current video.

        Args:
            frames (Sequence[np.ndarray]): ``n`` BGR uint8 frames ``(H, W, 3)``, in order.

        Returns:
            HolisticFrames: Keypoints, scores, person boxes and silhouettes.
        """
        if self._graph is None:
            self._graph = self._holistic_cls(**self.options)
        n = len(frames)
        kps = np.zeros((n, NUM_KEYPOINTS, 2), np.float32)
        scores = np.zeros((n, NUM_KEYPOINTS), np.float32)
        boxes = np.zeros((n, 4), np.float32)
        silhouettes: List[Optional[np.ndarray]] = []
        for i, frame in enumerate(frames):
            h, w = frame.shape[:2]
            res = self._graph.process(cv2.cvtColor(np.ascontiguousarray(frame),
                                                   cv2.COLOR_BGR2RGB))
            kps[i], scores[i], points = holistic_to_coco_wholebody(res, (h, w), self.pose_thr)
            mask = getattr(res, 'segmentation_mask', None)
            mask = None if mask is None else np.asarray(mask, np.float32)
            silhouettes.append(mask)
            boxes[i] = person_box(points, mask, (h, w))
        return HolisticFrames(kps, scores, boxes, silhouettes)

    def __call__(self, frames: Sequence[np.ndarray],
                 bboxes: Optional[np.ndarray] = None) -> Tuple[np.ndarray, np.ndarray]:
        """The :class:`WholeBodyPoseEstimator` interface: ``(n, 133, 2)`` keypoints, scores.

        Every frame is run (Holistic's tracking needs them all); a frame whose given box is
        all zeros gets zero keypoints and scores, as with the mmpose estimator.
        """
        out = self.process(frames)
        if bboxes is not None:
            none = ~np.asarray(bboxes, np.float32).reshape(-1, 4).any(1)
            out.keypoints[none], out.keypoint_scores[none] = 0, 0
        return out.keypoints, out.keypoint_scores


_BG = SAPIENS_CLASSES.index('Background')
#: Classes trimmed to the silhouette by default: the thick arm capsules and the padded face hull
#: overshoot the body outline; the hand hulls are kept whole (the selfie segmentation is coarse
#: at the fingers, and a hand must never be lost from the mask).
DEFAULT_TRIM_CLASSES = tuple(SAPIENS_CLASSES.index(c) for c in (
    'Face_Neck', 'Left_Upper_Arm', 'Right_Upper_Arm', 'Left_Lower_Arm', 'Right_Lower_Arm'))


class SilhouetteKeypointPartMaps(KeypointPartMaps):
    """Keypoint part maps (:class:`KeypointPartMaps`) trimmed to the person's silhouette.

    The parts are drawn from the keypoints exactly as on the mmpose path; then the pixels of the
    ``trim_classes`` that lie outside the selfie-segmentation silhouette (probability below
    ``mask_thr``, after growing it by ``mask_dilation`` x the body size) become background.
    Frames without a silhouette are left untrimmed.

    Args:
        grid_size (int | tuple[int, int]): ``(Gh, Gw)``. Defaults to 32.
        mask_thr (float): Silhouette probability threshold. Defaults to 0.5.
        mask_dilation (float): Growth of the silhouette before trimming, fraction of the
            body size. Defaults to 0: on real clips the silhouette followed the arms' outline
            closely, and trimming removed the 1-9 % of the arm capsules that stuck out into the
            background (0.03 already kept nearly all of it).
        trim_classes (Sequence[int]): Sapiens class ids to trim. Defaults to the face and the
            four arm classes (:data:`DEFAULT_TRIM_CLASSES`).
        **kwargs: Further arguments of :class:`KeypointPartMaps` (``kpt_thr``, widths ...).
    """
    name = MEDIAPIPE_SOURCE

    def __init__(self,
                 grid_size: GridSize = 32,
                 mask_thr: float = 0.5,
                 mask_dilation: float = 0.0,
                 trim_classes: Sequence[int] = DEFAULT_TRIM_CLASSES,
                 **kwargs) -> None:
        super().__init__(grid_size, **kwargs)
        self.mask_thr = float(mask_thr)
        self.mask_dilation = float(mask_dilation)
        self.trim_classes = tuple(int(c) for c in trim_classes)
        self._trim_lut = np.zeros(256, bool)
        self._trim_lut[list(self.trim_classes)] = True

    def label_maps(self, frames, img_shape, keypoints, keypoint_scores, bboxes,
                   silhouettes: Optional[Sequence[Optional[np.ndarray]]] = None) -> np.ndarray:
        out = super().label_maps(frames, img_shape, keypoints, keypoint_scores, bboxes)
        if silhouettes is None:
            return out
        h, w = img_shape
        ch, cw = out.shape[1:]
        for t, sil in enumerate(silhouettes):
            if sil is None or not out[t].any():
                continue
            inside = cv2.resize(np.asarray(sil, np.float32), (cw, ch),
                                interpolation=cv2.INTER_AREA) >= self.mask_thr
            body = self.body_size(np.asarray(keypoints[t], np.float64), keypoint_scores[t],
                                  bboxes[t])
            r = int(round(self.mask_dilation * body * cw / w))
            if r > 0:
                disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
                inside = cv2.dilate(inside.view(np.uint8), disc).astype(bool)
            out[t][self._trim_lut[out[t]] & ~inside] = _BG
        return out

    def __call__(self, frames, img_shape, keypoints, keypoint_scores, bboxes,
                 silhouettes: Optional[Sequence[Optional[np.ndarray]]] = None) -> np.ndarray:
        """Part maps of ``n`` frames (see :meth:`PartMapSource.__call__`), trimmed to the
        ``silhouettes`` (``n`` arrays ``(H, W)`` or None) when given."""
        from signmae_mm.datasets.sign_annotation import PART_GROUPS, part_maps_from_label_map
        if len(bboxes) == 0:
            return np.zeros((0, len(PART_GROUPS)) + self.grid_size, np.uint8)
        labels = self.label_maps(frames, tuple(img_shape), keypoints, keypoint_scores, bboxes,
                                 silhouettes)
        return part_maps_from_label_map(labels, self.grid_size)


class HolisticVideoPreprocessor(VideoPreprocessor):
    """One video -> its sign annotation with MediaPipe Holistic (no detector, one pass).

    Holistic finds and tracks the person itself, so each chunk of frames is decoded once, run
    through Holistic, and turned into part maps right away (the silhouettes are not kept).
    Frames where Holistic finds no person get a box from their neighbours as on the mmpose path
    (``fill_missing``; no keypoints there), and a video without any person is skipped or given
    the whole frame (``no_person``).

    Args:
        holistic (MediaPipeHolistic): The keypoint source.
        part_map_source (PartMapSource): :class:`SilhouetteKeypointPartMaps` (trimmed with
            Holistic's silhouettes), or any other source (called without them).
        batch_size (int): Frames decoded per chunk. Defaults to 16.
        no_person (str): ``'skip'`` or ``'whole-frame'``. Defaults to ``'skip'``.
        fill_missing (str): ``'interpolate'`` or ``'none'``. Defaults to ``'interpolate'``.
    """

    def __init__(self,
                 holistic: MediaPipeHolistic,
                 part_map_source,
                 batch_size: int = 16,
                 no_person: str = 'skip',
                 fill_missing: str = 'interpolate') -> None:
        super().__init__(None, holistic, part_map_source, batch_size=batch_size,
                         no_person=no_person, fill_missing=fill_missing, frame_cache_mb=0)

    def process(self, video: str) -> VideoAnnotation:
        """Annotate one video (see :meth:`VideoPreprocessor.process` for the outputs)."""
        import time
        from collections import defaultdict

        from .video_reader import VideoFrames
        timings: Dict[str, float] = defaultdict(float)
        clock = time.perf_counter
        holistic: MediaPipeHolistic = self.pose_estimator
        trims = isinstance(self.part_map_source, SilhouetteKeypointPartMaps)
        holistic.reset()  # no tracking state from the previous video
        t0 = clock()
        with VideoFrames(video) as reader:
            num, img_shape, fps = len(reader), tuple(reader.img_shape), reader.fps
            timings['decode'] += clock() - t0
            keypoints = np.zeros((num, NUM_KEYPOINTS, 2), np.float32)
            scores = np.zeros((num, NUM_KEYPOINTS), np.float32)
            boxes = np.zeros((num, 4), np.float32)
            part_maps = []
            for start, frames in self._chunks(reader, timings):
                stop = start + len(frames)
                t0 = clock()
                out = holistic.process(frames)
                timings['pose'] += clock() - t0
                keypoints[start:stop], scores[start:stop] = out.keypoints, out.keypoint_scores
                boxes[start:stop] = out.bboxes
                t0 = clock()
                extra = dict(silhouettes=out.silhouettes) if trims else {}
                part_maps.append(self.part_map_source(
                    frames, img_shape, out.keypoints, out.keypoint_scores, out.bboxes, **extra))
                timings['part_maps'] += clock() - t0
        holistic.reset()
        detected = boxes.any(1)
        track = SignerTrack(boxes, detected.astype(np.float32), detected, np.zeros(num, bool))
        person_source = 'mediapipe'
        if not detected.any():
            if self.no_person == 'skip':
                raise NoPersonError(
                    f'{video}: MediaPipe Holistic found no person in any of its {num} frames '
                    f'(min_detection_confidence '
                    f'{holistic.options["min_detection_confidence"]}); skipped '
                    '(no_person="whole-frame" would use the whole frame)')
            track = whole_frame_track(num, img_shape)
            person_source = 'whole_frame'
        else:
            track = fill_missing_boxes(track, self.fill_missing)
        return self._annotation(num, img_shape, fps, track, person_source, keypoints, scores,
                                np.concatenate(part_maps), dict(timings))

    def describe(self) -> Dict[str, Any]:
        """JSON-able settings (recorded with each video's metadata)."""
        holistic, src = self.pose_estimator, self.part_map_source
        out = dict(pose_backend='mediapipe', pose_config=holistic.config,
                   pose_checkpoint=holistic.checkpoint, mediapipe_options=dict(holistic.options),
                   part_map_source=src.name, grid_size=list(src.grid_size),
                   no_person=self.no_person, fill_missing=self.fill_missing)
        if getattr(src, 'model_path', None):
            out['sapiens'] = src.model_path
        for key in ('kpt_thr', 'mask_thr', 'mask_dilation'):
            if hasattr(src, key):
                out[key] = getattr(src, key)
        return out
