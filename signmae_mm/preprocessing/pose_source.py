"""Where the signer's box and its whole-body keypoints come from: the preprocessing's one plug.

:class:`~.pipeline.VideoAnnotator` runs one loop over a video's frames for every source. Sources
differ in one way that shapes the loop, :attr:`PersonPoseSource.finds_person`:

* a top-down source (:class:`TopDownPoseSource`: RTMDet + RTMPose) proposes people in every
  frame (:meth:`~PersonPoseSource.detect`); the loop chooses the signer over the *whole* video
  (:func:`~.signer_tracking.track_signer`) before any keypoints are estimated in its boxes, so
  the frames are seen twice;
* a source that finds the person with the keypoints
  (:class:`~.mediapipe_holistic.MediaPipeHolistic`) is run once over the frames, in video
  order, and reports its own boxes; the loop fills the frames without a person afterwards.

A per-chunk ``detect_and_estimate(frames)`` alone would not do: the signer of a top-down
source is only known once every frame has been detected. The part maps are a second, separate
plug (:class:`~.part_maps.PartMapSource`), since Sapiens or keypoint maps go with either source.
"""
from abc import ABCMeta, abstractmethod
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Sequence

import numpy as np

__all__ = ['PoseFrames', 'PersonPoseSource', 'TopDownPoseSource']


@dataclass
class PoseFrames:
    """A source's output for ``n`` consecutive frames of one video.

    Attributes:
        keypoints (np.ndarray): ``(n, 133, 2)`` float32 COCO-WholeBody keypoints, pixels.
        keypoint_scores (np.ndarray): ``(n, 133)`` float32; 0 = not found.
        bboxes (np.ndarray): ``(n, 4)`` float32 person boxes the keypoints belong to; zeros =
            no person in the frame.
    """
    keypoints: np.ndarray
    keypoint_scores: np.ndarray
    bboxes: np.ndarray


class PersonPoseSource(metaclass=ABCMeta):
    """The signer's boxes and 133 whole-body keypoints for the frames of one video.

    A subclass sets :attr:`name`, :attr:`person_source` and :attr:`finds_person`, implements
    :meth:`estimate` (and :meth:`detect` when it does not find the person itself), and may
    extend :meth:`describe` and :meth:`reset`.
    """
    #: Recorded as the annotation metadata's ``keypoint_source``.
    name: str = ''
    #: Recorded as ``person_source`` when the signer was found.
    person_source: str = ''
    #: True: :meth:`estimate` finds the person itself, given the frames in video order, once.
    #: False: :meth:`detect` runs on every frame first, and :meth:`estimate` gets the signer's
    #: boxes chosen over the whole video.
    finds_person: bool = False

    def reset(self) -> None:
        """Forget any state of the previous video (called before and after each video)."""

    def detect(self, frames: Sequence[np.ndarray]) -> List[np.ndarray]:
        """People in each frame (the first pass of a source with ``finds_person=False``).

        Args:
            frames (Sequence[np.ndarray]): ``n`` BGR uint8 frames ``(H, W, 3)``.

        Returns:
            list[np.ndarray]: Per frame ``(N, 5)`` float32 boxes ``(x1, y1, x2, y2, score)``.
        """
        raise NotImplementedError(f'{type(self).__name__} finds the person itself '
                                  '(finds_person=True): it has no detection pass')

    @abstractmethod
    def estimate(self, frames: Sequence[np.ndarray],
                 bboxes: Optional[np.ndarray] = None) -> PoseFrames:
        """Keypoints of the signer in ``n`` frames.

        Args:
            frames (Sequence[np.ndarray]): ``n`` BGR uint8 frames ``(H, W, 3)``, in video order.
            bboxes (np.ndarray, optional): ``(n, 4)`` signer boxes (zeros = none in that frame),
                given exactly when :attr:`finds_person` is False.

        Returns:
            PoseFrames: Keypoints, scores and the person boxes of the ``n`` frames.
        """

    def no_person_message(self, video: str, num_frames: int) -> str:
        """Why a video without any person is skipped (:class:`~.errors.NoPersonError`)."""
        return (f'{video}: no person found in any of its {num_frames} frames; skipped '
                '(no_person="whole-frame" would use the whole frame)')

    def describe(self) -> Dict[str, Any]:
        """JSON-able settings of this source (recorded with each video's metadata)."""
        return {}


class TopDownPoseSource(PersonPoseSource):
    """A person detector (RTMDet) and a top-down whole-body pose model (RTMPose) in its boxes.

    Args:
        detector (Callable): Frames -> per-frame ``(N, 5)`` person boxes
            (:class:`~.person_detector.PersonDetector`).
        pose_estimator (Callable): ``(frames, boxes)`` -> ``(n, 133, 2)`` keypoints and
            ``(n, 133)`` scores, zeros where the box is all zeros
            (:class:`~.pose_estimator.WholeBodyPoseEstimator`).
    """
    person_source = 'detector'
    finds_person = False

    def __init__(self, detector: Callable, pose_estimator: Callable) -> None:
        self.detector = detector
        self.pose_estimator = pose_estimator

    @property
    def name(self) -> str:  # type: ignore[override]
        return getattr(self.pose_estimator, 'name', 'mmpose')

    def detect(self, frames: Sequence[np.ndarray]) -> List[np.ndarray]:
        return self.detector(frames)

    def estimate(self, frames: Sequence[np.ndarray],
                 bboxes: Optional[np.ndarray] = None) -> PoseFrames:
        if bboxes is None:
            raise ValueError('a top-down pose model needs the signer boxes')
        keypoints, scores = self.pose_estimator(frames, bboxes)
        return PoseFrames(keypoints, scores, bboxes)

    def no_person_message(self, video: str, num_frames: int) -> str:
        thr = getattr(self.detector, 'score_thr', None)
        return (f'{video}: no person found in any of its {num_frames} frames' +
                (f' (detector score threshold {thr})' if thr is not None else '') +
                '; skipped (no_person="whole-frame" would use the whole frame)')

    def describe(self) -> Dict[str, Any]:
        det, pose = self.detector, self.pose_estimator
        return dict(
            det_config=getattr(det, 'config', None),
            det_checkpoint=getattr(det, 'checkpoint', None),
            det_score_thr=getattr(det, 'score_thr', None),
            pose_config=getattr(pose, 'config', None),
            pose_checkpoint=getattr(pose, 'checkpoint', None),
        )
