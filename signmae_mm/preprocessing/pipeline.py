"""One video -> its sign annotation: decode, find the signer, whole-body pose, part maps.

The one per-video loop of the preprocessing, :class:`VideoAnnotator`, for every person / pose
source (:mod:`.pose_source`: RTMDet + RTMPose, or MediaPipe Holistic) and every part-map source.
"""
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from signmae_mm.structures import NUM_KEYPOINTS, save_sign_annotation

from .errors import NoPersonError
from .part_maps import PartMapSource
from .pose_source import PersonPoseSource, PoseFrames, TopDownPoseSource
from .signer_tracking import (FILL_MODES, SignerTrack, fill_missing_boxes, track_signer,
                              whole_frame_track)
from .video_reader import VideoFrames

__all__ = [
    'NO_PERSON_POLICIES', 'VideoAnnotation', 'VideoAnnotator', 'VideoPreprocessor',
    'HolisticVideoPreprocessor', 'frame_ranges'
]

#: What to do with a video in which no frame holds a person: ``'skip'`` it (reported as a
#: failure) or take the ``'whole-frame'`` as the person box (recorded as ``person_source``).
NO_PERSON_POLICIES = ('skip', 'whole-frame')


def frame_ranges(mask: np.ndarray) -> List[List[int]]:
    """``[start, stop)`` runs of True in a boolean mask (compact per-frame metadata)."""
    mask = np.asarray(mask, bool)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.view(np.int8), [0]])))
    return [[int(a), int(b)] for a, b in zip(edges[::2], edges[1::2])]


@dataclass
class VideoAnnotation:
    """The sign annotation of one video (see ``docs/annotation_format.md``) and its metadata.

    Attributes:
        keypoints (np.ndarray): ``(T, 133, 2)`` float32.
        keypoint_scores (np.ndarray): ``(T, 133)`` float32.
        person_bboxes (np.ndarray): ``(T, 4)`` float32.
        part_maps (np.ndarray): ``(T, 7, Gh, Gw)`` uint8.
        img_shape (tuple[int, int]): ``(H, W)``.
        part_map_source (str): ``'sapiens'`` or ``'keypoints'``.
        meta (dict): JSON-able facts about the run on this video (frame count, how the person
            boxes were obtained, fallbacks), see :meth:`VideoAnnotator.process`.
        timings (dict[str, float]): Seconds spent per stage.
    """
    keypoints: np.ndarray
    keypoint_scores: np.ndarray
    person_bboxes: np.ndarray
    part_maps: np.ndarray
    img_shape: tuple
    part_map_source: str
    meta: Dict[str, Any] = field(default_factory=dict)
    timings: Dict[str, float] = field(default_factory=dict)

    def save(self, path: str) -> str:
        """Write the ``.npz`` atomically (:func:`save_sign_annotation`)."""
        return save_sign_annotation(
            path, self.keypoints, self.keypoint_scores, self.person_bboxes, self.part_maps,
            self.img_shape, part_map_source=self.part_map_source)


class VideoAnnotator:
    """Turn one video into its sign annotation, with any person / pose source.

    The frames are decoded in chunks of ``batch_size``. A source that finds the person itself
    (``source.finds_person``, MediaPipe Holistic) is run once over them, in order, and its
    part maps are made chunk by chunk. A top-down source takes two passes: (1) person
    detection on every frame, then the signer is chosen over the whole video
    (:func:`track_signer`) and frames where it was missed get a box from their neighbours
    (:func:`fill_missing_boxes`); (2) whole-body pose in the signer's box and part maps. Its
    frames are decoded once and kept between the passes when they fit in ``frame_cache_mb``,
    else decoded again (a long HD video does not fit in memory; decoding is cheap next to the
    models). Either way a video without any person is skipped or given the whole frame
    (``no_person``).

    Args:
        source (PersonPoseSource): :class:`TopDownPoseSource` or
            :class:`~.mediapipe_holistic.MediaPipeHolistic`.
        part_map_source (PartMapSource): Sapiens, keypoint or silhouette part maps; it gets the
            source's extra outputs that it names in ``extra_inputs``.
        batch_size (int): Frames per model call. Defaults to 16.
        no_person (str): One of :data:`NO_PERSON_POLICIES`. Defaults to ``'skip'``.
        fill_missing (str): ``'interpolate'`` or ``'none'`` for frames where the signer was
            not found. Defaults to ``'interpolate'``.
        frame_cache_mb (float): Keep decoded frames between the passes up to this size.
            Defaults to 1024.
        track_iou_weight (float): Temporal continuity weight of :func:`track_signer`.
            Defaults to 1.
    """

    def __init__(self,
                 source: PersonPoseSource,
                 part_map_source: PartMapSource,
                 batch_size: int = 16,
                 no_person: str = 'skip',
                 fill_missing: str = 'interpolate',
                 frame_cache_mb: float = 1024,
                 track_iou_weight: float = 1.0) -> None:
        if no_person not in NO_PERSON_POLICIES:
            raise ValueError(f'no_person must be one of {NO_PERSON_POLICIES}, got {no_person!r}')
        if fill_missing not in FILL_MODES:
            raise ValueError(f'fill_missing must be one of {FILL_MODES}, got {fill_missing!r}')
        if batch_size < 1:
            raise ValueError(f'batch_size must be >= 1, got {batch_size}')
        self.source = source
        self.part_map_source = part_map_source
        self.batch_size = int(batch_size)
        self.no_person = no_person
        self.fill_missing = fill_missing
        self.frame_cache_mb = float(frame_cache_mb)
        self.track_iou_weight = float(track_iou_weight)

    def process(self, video: str) -> VideoAnnotation:
        """Annotate one video.

        Args:
            video (str): The video file.

        Returns:
            VideoAnnotation: The arrays, and ``meta`` with ``total_frames``, ``img_shape``,
            ``fps``, ``keypoint_source`` (the source's ``name``: ``'mmpose'`` or
            ``'mediapipe-holistic'``), ``part_map_source``, ``person_source`` (the source's:
            ``'detector'`` or ``'mediapipe'``; ``'whole_frame'`` under the
            ``no_person='whole-frame'`` fallback), ``person_frames_detected``,
            ``person_frames_filled`` and ``person_frames_missing`` (counts), ``filled_frames``
            and ``missing_frames`` (``[start, stop)`` runs).

        Raises:
            VideoDecodeError: The video cannot be opened or decoded.
            NoPersonError: No frame holds a person and ``no_person='skip'``.
        """
        timings: Dict[str, float] = defaultdict(float)
        clock = time.perf_counter
        source = self.source
        source.reset()  # no tracking state from the previous video
        try:
            t0 = clock()
            with VideoFrames(video) as reader:
                num, img_shape, fps = len(reader), tuple(reader.img_shape), reader.fps
                timings['decode'] += clock() - t0
                track, person_source, chunks = None, None, None
                if not source.finds_person:
                    track, person_source, chunks = self._detect_signer(video, reader, timings)
                keypoints = np.zeros((num, NUM_KEYPOINTS, 2), np.float32)
                scores = np.zeros((num, NUM_KEYPOINTS), np.float32)
                boxes = np.zeros((num, 4), np.float32)
                part_maps = []
                for start, frames in chunks or self._chunks(reader, timings):
                    stop = start + len(frames)
                    t0 = clock()
                    pose = source.estimate(
                        frames, None if track is None else track.bboxes[start:stop])
                    timings['pose'] += clock() - t0
                    keypoints[start:stop] = pose.keypoints
                    scores[start:stop] = pose.keypoint_scores
                    boxes[start:stop] = pose.bboxes
                    t0 = clock()
                    part_maps.append(self._part_maps(frames, img_shape, pose))
                    timings['part_maps'] += clock() - t0
        finally:
            source.reset()
        if track is None:  # the source's own boxes
            t0 = clock()
            detected = boxes.any(1)
            track, person_source = self._signer_or_fallback(
                video, img_shape,
                SignerTrack(boxes, detected.astype(np.float32), detected, np.zeros(num, bool)))
            timings['track'] += clock() - t0
        return self._annotation(num, img_shape, fps, track, person_source, keypoints, scores,
                                np.concatenate(part_maps), dict(timings))

    def _detect_signer(self, video: str, reader: VideoFrames, timings: Dict[str, float]):
        """First pass of a top-down source: the signer's track, and the frames if cached."""
        clock = time.perf_counter
        num, (h, w) = len(reader), reader.img_shape
        cache = [] if num * h * w * 3 <= self.frame_cache_mb * 2**20 else None
        detections = []
        for start, frames in self._chunks(reader, timings):
            t0 = clock()
            detections.extend(self.source.detect(frames))
            timings['detect'] += clock() - t0
            if cache is not None:
                cache.append(frames)
        t0 = clock()
        track, person_source = self._signer_or_fallback(
            video, (h, w), track_signer(detections, iou_weight=self.track_iou_weight))
        timings['track'] += clock() - t0
        chunks = (None if cache is None else
                  [(i * self.batch_size, frames) for i, frames in enumerate(cache)])
        return track, person_source, chunks

    def _signer_or_fallback(self, video: str, img_shape: Tuple[int, int],
                            track: SignerTrack) -> Tuple[SignerTrack, str]:
        """The track with its missed frames filled, or the ``no_person`` policy's outcome."""
        num = len(track.bboxes)
        if track.detected.any():
            return fill_missing_boxes(track, self.fill_missing), self.source.person_source
        if self.no_person == 'skip':
            raise NoPersonError(self.source.no_person_message(video, num))
        return whole_frame_track(num, img_shape), 'whole_frame'

    def _part_maps(self, frames, img_shape: Tuple[int, int], pose: PoseFrames) -> np.ndarray:
        """Part maps of one chunk, with the source's extra outputs the part maps take."""
        extra = {k: getattr(pose, k) for k in self.part_map_source.extra_inputs
                 if getattr(pose, k, None) is not None}
        return self.part_map_source(frames, img_shape, pose.keypoints, pose.keypoint_scores,
                                    pose.bboxes, **extra)

    def _annotation(self, num: int, img_shape: tuple, fps: float, track: SignerTrack,
                    person_source: str, keypoints: np.ndarray, scores: np.ndarray,
                    part_maps: np.ndarray, timings: Dict[str, float]) -> VideoAnnotation:
        """The annotation and its metadata."""
        missing = ~track.bboxes.any(1)
        meta = dict(
            total_frames=num,
            img_shape=list(img_shape),
            fps=fps,
            keypoint_source=self.source.name,
            part_map_source=self.part_map_source.name,
            person_source=person_source,
            person_frames_detected=int(track.detected.sum()),
            person_frames_filled=int(track.filled.sum()),
            person_frames_missing=int(missing.sum()),
            filled_frames=frame_ranges(track.filled),
            missing_frames=frame_ranges(missing),
        )
        return VideoAnnotation(keypoints, scores, track.bboxes.astype(np.float32), part_maps,
                               tuple(img_shape), self.part_map_source.name, meta, timings)

    def _chunks(self, reader: VideoFrames, timings: Dict[str, float]):
        """Decoded chunks of ``batch_size`` frames, timing the decoding."""
        clock = time.perf_counter
        t0 = clock()
        for start, frames in reader.chunks(self.batch_size):
            timings['decode'] += clock() - t0
            yield start, frames
            t0 = clock()

    def describe(self) -> Dict[str, Any]:
        """JSON-able settings of this preprocessor (recorded with each video's metadata)."""
        src = self.part_map_source
        out: Dict[str, Optional[Any]] = dict(
            self.source.describe(),
            part_map_source=src.name,
            grid_size=list(src.grid_size),
            no_person=self.no_person,
            fill_missing=self.fill_missing,
        )
        if getattr(src, 'model_path', None):
            out['sapiens'] = src.model_path
        for key in ('kpt_thr', 'mask_thr', 'mask_dilation'):
            if hasattr(src, key):
                out[key] = getattr(src, key)
        return out


class VideoPreprocessor(VideoAnnotator):
    """:class:`VideoAnnotator` over a detector and a pose model (:class:`TopDownPoseSource`).

    Kept for old code, with its old arguments: new code builds a :class:`VideoAnnotator`.

    Args:
        detector (Callable): Frames -> per-frame ``(N, 5)`` person boxes.
        pose_estimator (Callable): ``(frames, boxes)`` -> keypoints, scores.
        part_map_source (PartMapSource): Sapiens or keypoint part maps.
        batch_size, no_person, fill_missing, frame_cache_mb, track_iou_weight: As in
            :class:`VideoAnnotator`.
    """

    def __init__(self,
                 detector,
                 pose_estimator,
                 part_map_source: PartMapSource,
                 batch_size: int = 16,
                 no_person: str = 'skip',
                 fill_missing: str = 'interpolate',
                 frame_cache_mb: float = 1024,
                 track_iou_weight: float = 1.0) -> None:
        super().__init__(TopDownPoseSource(detector, pose_estimator), part_map_source,
                         batch_size, no_person, fill_missing, frame_cache_mb, track_iou_weight)
        self.detector, self.pose_estimator = detector, pose_estimator


class HolisticVideoPreprocessor(VideoAnnotator):
    """:class:`VideoAnnotator` over MediaPipe Holistic, with its old arguments.

    Kept for old code: new code builds ``VideoAnnotator(MediaPipeHolistic(...), ...)``.

    Args:
        holistic (MediaPipeHolistic): The keypoint source.
        part_map_source (PartMapSource): Part maps.
        batch_size (int): Frames decoded per chunk. Defaults to 16.
        no_person (str): ``'skip'`` or ``'whole-frame'``. Defaults to ``'skip'``.
        fill_missing (str): ``'interpolate'`` or ``'none'``. Defaults to ``'interpolate'``.
    """

    def __init__(self,
                 holistic: PersonPoseSource,
                 part_map_source: PartMapSource,
                 batch_size: int = 16,
                 no_person: str = 'skip',
                 fill_missing: str = 'interpolate') -> None:
        super().__init__(holistic, part_map_source, batch_size=batch_size,
                         no_person=no_person, fill_missing=fill_missing, frame_cache_mb=0)
        self.detector, self.pose_estimator = None, holistic
