"""MediaPipe Holistic: the whole-body keypoint source that needs no weight files.

``mediapipe==0.10.9`` ships the Holistic models (pose, hand and face landmarks, palm and pose
detection, selfie segmentation) as ``.tflite`` files inside its wheel, so this backend runs on a
laptop CPU with nothing to download. It is optional: install it with
``bash tools/install.sh`` (core and full stacks alike) or ``pip install -e .[mediapipe]``.

Holistic finds and tracks the person itself: :class:`MediaPipeHolistic` is a
:class:`~.pose_source.PersonPoseSource` with ``finds_person=True``. How its landmarks become the
133 COCO-WholeBody keypoints and the person box: :mod:`.holistic_keypoints`; its part maps,
trimmed to the person silhouette: :mod:`.silhouette_part_maps`.
"""
import os.path as osp
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

from signmae_mm.structures import NUM_KEYPOINTS

# the mapping and the silhouette part maps lived here; their names are kept importable from
# this module for old code
from .holistic_keypoints import (FACE_MESH_TO_COCO_FACE, MEDIAPIPE_SOURCE,  # noqa: F401
                                 POSE_TO_COCO_BODY, POSE_TO_COCO_FEET,
                                 holistic_to_coco_wholebody, person_box)
from .pipeline import HolisticVideoPreprocessor  # noqa: F401
from .pose_source import PersonPoseSource, PoseFrames
from .silhouette_part_maps import (DEFAULT_TRIM_CLASSES,  # noqa: F401
                                   SilhouetteKeypointPartMaps)

__all__ = [
    'MEDIAPIPE_INSTALL_HINT', 'MEDIAPIPE_SOURCE', 'MEDIAPIPE_VERSION',
    'MediaPipeNotInstalledError', 'import_mediapipe', 'HolisticFrames', 'MediaPipeHolistic'
]

#: The version whose wheel ships every Holistic model (later ones need jax or downloads).
MEDIAPIPE_VERSION = '0.10.9'
MEDIAPIPE_INSTALL_HINT = ('bash tools/install.sh   (MediaPipe is in its core stack; or: pip '
                          f'install -e .[mediapipe], i.e. mediapipe=={MEDIAPIPE_VERSION})')


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


@dataclass
class HolisticFrames(PoseFrames):
    """MediaPipe Holistic output for ``n`` frames, in the sign annotation's terms.

    Attributes:
        keypoints (np.ndarray): ``(n, 133, 2)`` float32 COCO-WholeBody keypoints, pixels.
        keypoint_scores (np.ndarray): ``(n, 133)`` float32; 0 = not given.
        bboxes (np.ndarray): ``(n, 4)`` float32 person boxes; zeros = no person.
        silhouettes (list[np.ndarray | None]): Per frame the ``(H, W)`` float32 person
            probability of the selfie segmentation (None without a person, or with the
            segmentation off); read by :class:`SilhouetteKeypointPartMaps`.
    """
    silhouettes: List[Optional[np.ndarray]]


class MediaPipeHolistic(PersonPoseSource):
    """MediaPipe Holistic as a 133-point whole-body keypoint source (see the module docstring).

    Holistic tracks the person from frame to frame, so frames must come in video order and
    :meth:`reset` must be called between videos (:class:`~.pipeline.VideoAnnotator` does).
    It finds the person itself: no detector is needed, and boxes given to :meth:`estimate` or
    :meth:`__call__` (the :class:`~.pose_estimator.WholeBodyPoseEstimator` interface) only
    blank the frames that have none.

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
    person_source = 'mediapipe'
    finds_person = True

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
        # what describe() records, like the mmpose estimator's config and checkpoint
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

    def estimate(self, frames: Sequence[np.ndarray],
                 bboxes: Optional[np.ndarray] = None) -> HolisticFrames:
        """:meth:`process`; a frame whose given box is all zeros gets zero keypoints.

        Every frame is run (Holistic's tracking needs them all).
        """
        out = self.process(frames)
        if bboxes is not None:
            none = ~np.asarray(bboxes, np.float32).reshape(-1, 4).any(1)
            out.keypoints[none], out.keypoint_scores[none] = 0, 0
        return out

    def __call__(self, frames: Sequence[np.ndarray],
                 bboxes: Optional[np.ndarray] = None) -> Tuple[np.ndarray, np.ndarray]:
        """The :class:`~.pose_estimator.WholeBodyPoseEstimator` interface: ``(n, 133, 2)``
        keypoints and ``(n, 133)`` scores (see :meth:`estimate`)."""
        out = self.estimate(frames, bboxes)
        return out.keypoints, out.keypoint_scores

    def no_person_message(self, video: str, num_frames: int) -> str:
        return (f'{video}: MediaPipe Holistic found no person in any of its {num_frames} '
                f'frames (min_detection_confidence {self.options["min_detection_confidence"]}'
                '); skipped (no_person="whole-frame" would use the whole frame)')

    def describe(self) -> Dict[str, Any]:
        return dict(pose_backend='mediapipe', pose_config=self.config,
                    pose_checkpoint=self.checkpoint, mediapipe_options=dict(self.options))
