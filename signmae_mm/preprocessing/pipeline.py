"""One video -> its sign annotation: decode, detect the signer, whole-body pose, part maps."""
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

import numpy as np

from signmae_mm.datasets.sign_annotation import NUM_KEYPOINTS, save_sign_annotation

from .errors import NoPersonError
from .part_maps import PartMapSource
from .signer_tracking import FILL_MODES, fill_missing_boxes, track_signer, whole_frame_track
from .video_reader import VideoFrames

__all__ = ['NO_PERSON_POLICIES', 'VideoAnnotation', 'VideoPreprocessor', 'frame_ranges']

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
            boxes were obtained, fallbacks), see :meth:`VideoPreprocessor.process`.
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


class VideoPreprocessor:
    """Turn one video into its sign annotation.

    Two passes over the frames, in chunks of ``batch_size``: (1) person detection on every
    frame, then the signer is chosen over the whole video (:func:`track_signer`) and frames
    where it was missed get a box from their neighbours (:func:`fill_missing_boxes`);
    (2) whole-body pose in the signer's box and part maps. Frames are decoded once and kept
    between the passes when they fit in ``frame_cache_mb``, else decoded again (a long HD
    video does not fit in memory; decoding is cheap next to the models).

    Args:
        detector (Callable): Frames -> per-frame ``(N, 5)`` person boxes
            (:class:`PersonDetector`).
        pose_estimator (Callable): ``(frames, boxes)`` -> keypoints, scores
            (:class:`WholeBodyPoseEstimator`).
        part_map_source (PartMapSource): Sapiens or keypoint part maps.
        batch_size (int): Frames per model call. Defaults to 16.
        no_person (str): One of :data:`NO_PERSON_POLICIES`. Defaults to ``'skip'``.
        fill_missing (str): ``'interpolate'`` or ``'none'`` for frames where the signer was
            not detected. Defaults to ``'interpolate'``.
        frame_cache_mb (float): Keep decoded frames between the passes up to this size.
            Defaults to 1024.
        track_iou_weight (float): Temporal continuity weight of :func:`track_signer`.
            Defaults to 1.
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
        if no_person not in NO_PERSON_POLICIES:
            raise ValueError(f'no_person must be one of {NO_PERSON_POLICIES}, got {no_person!r}')
        if fill_missing not in FILL_MODES:
            raise ValueError(f'fill_missing must be one of {FILL_MODES}, got {fill_missing!r}')
        if batch_size < 1:
            raise ValueError(f'batch_size must be >= 1, got {batch_size}')
        self.detector = detector
        self.pose_estimator = pose_estimator
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
            ``fps``, ``keypoint_source`` (``'mmpose'``, or the estimator's ``name``),
            ``part_map_source``, ``person_source`` (``'detector'``, ``'mediapipe'`` for the
            MediaPipe backend, or ``'whole_frame'`` under the ``no_person='whole-frame'``
            fallback),
            ``person_frames_detected``, ``person_frames_filled`` and ``person_frames_missing``
            (counts), ``filled_frames`` and ``missing_frames`` (``[start, stop)`` runs).

        Raises:
            VideoDecodeError: The video cannot be opened or decoded.
            NoPersonError: No frame holds a person and ``no_person='skip'``.
        """
        timings = defaultdict(float)
        clock = time.perf_counter
        t0 = clock()
        with VideoFrames(video) as reader:
            num, img_shape = len(reader), reader.img_shape
            timings['decode'] += clock() - t0
            cache_bytes = num * img_shape[0] * img_shape[1] * 3
            cache = [] if cache_bytes <= self.frame_cache_mb * 2**20 else None

            # pass 1: people in every frame
            detections = []
            for start, frames in self._chunks(reader, timings):
                t0 = clock()
                detections.extend(self.detector(frames))
                timings['detect'] += clock() - t0
                if cache is not None:
                    cache.append(frames)
            t0 = clock()
            track = track_signer(detections, iou_weight=self.track_iou_weight)
            person_source = 'detector'
            if not track.detected.any():
                if self.no_person == 'skip':
                    thr = getattr(self.detector, 'score_thr', None)
                    raise NoPersonError(
                        f'{video}: no person found in any of its {num} frames' +
                        (f' (detector score threshold {thr})' if thr is not None else '') +
                        '; skipped (no_person="whole-frame" would use the whole frame)')
                track = whole_frame_track(num, img_shape)
                person_source = 'whole_frame'
            else:
                track = fill_missing_boxes(track, self.fill_missing)
            timings['track'] += clock() - t0

            # pass 2: pose and part maps in the signer's box
            keypoints = np.zeros((num, NUM_KEYPOINTS, 2), np.float32)
            scores = np.zeros((num, NUM_KEYPOINTS), np.float32)
            part_maps = []
            chunks = (((i * self.batch_size, c) for i, c in enumerate(cache))
                      if cache is not None else self._chunks(reader, timings))
            for start, frames in chunks:
                stop = start + len(frames)
                boxes = track.bboxes[start:stop]
                t0 = clock()
                keypoints[start:stop], scores[start:stop] = self.pose_estimator(frames, boxes)
                timings['pose'] += clock() - t0
                t0 = clock()
                part_maps.append(self.part_map_source(
                    frames, img_shape, keypoints[start:stop], scores[start:stop], boxes))
                timings['part_maps'] += clock() - t0
        return self._annotation(num, img_shape, reader.fps, track, person_source, keypoints,
                                scores, np.concatenate(part_maps), dict(timings))

    def _annotation(self, num: int, img_shape: tuple, fps: float, track, person_source: str,
                    keypoints: np.ndarray, scores: np.ndarray, part_maps: np.ndarray,
                    timings: Dict[str, float]) -> VideoAnnotation:
        """The annotation and its metadata (shared with the other keypoint backends)."""
        missing = ~track.bboxes.any(1)
        meta = dict(
            total_frames=num,
            img_shape=list(img_shape),
            fps=fps,
            keypoint_source=getattr(self.pose_estimator, 'name', 'mmpose'),
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
        det, pose, src = self.detector, self.pose_estimator, self.part_map_source
        out: Dict[str, Optional[Any]] = dict(
            det_config=getattr(det, 'config', None),
            det_checkpoint=getattr(det, 'checkpoint', None),
            det_score_thr=getattr(det, 'score_thr', None),
            pose_config=getattr(pose, 'config', None),
            pose_checkpoint=getattr(pose, 'checkpoint', None),
            part_map_source=src.name,
            grid_size=list(src.grid_size),
            no_person=self.no_person,
            fill_missing=self.fill_missing,
        )
        if getattr(src, 'model_path', None):
            out['sapiens'] = src.model_path
        if hasattr(src, 'kpt_thr'):
            out['kpt_thr'] = src.kpt_thr
        return out
