"""The person / pose source plug of the one per-video loop (VideoAnnotator), with two small real
sources that find a red square in real mp4 frames by its colour: a top-down one (detect, then
estimate in the signer's boxes) and one that finds the person itself (one pass)."""
from dataclasses import dataclass
from typing import List, Optional

import numpy as np
import pytest

from signmae_mm.preprocessing import (KeypointPartMaps, NoPersonError, PersonPoseSource,
                                      PoseFrames, VideoAnnotator)
from signmae_mm.structures import KEYPOINT_RANGES
from signmae_mm.testing import moving_square_frames, write_video

LEFT_WRIST = 9
LH = KEYPOINT_RANGES['left_hand']


def _square_box(frame: np.ndarray) -> Optional[np.ndarray]:
    """The red square's box ``(x1, y1, x2, y2)`` in a BGR frame, None without one."""
    ys, xs = np.nonzero((frame[..., 2] > 150) & (frame[..., 0] < 100))
    if len(xs) < 4:
        return None
    return np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], np.float32)


def _hand_in(boxes: np.ndarray):
    """A left hand (wrist + 21 points) spread over each box; zeros where the box is."""
    kps = np.zeros((len(boxes), 133, 2), np.float32)
    scores = np.zeros((len(boxes), 133), np.float32)
    rng = np.random.default_rng(0)
    for t, box in enumerate(boxes):
        if not box.any():
            continue
        idx = [LEFT_WRIST] + list(range(*LH))
        kps[t, idx] = box[:2] + rng.random((len(idx), 2)) * (box[2:] - box[:2])
        scores[t, idx] = 1
    return kps, scores


class SquareDetectorSource(PersonPoseSource):
    """Top-down: the square is the only "person"; keypoints are placed in the given boxes."""
    name = 'square-top-down'
    person_source = 'square-detector'

    def __init__(self) -> None:
        self.calls: List[str] = []

    def detect(self, frames):
        self.calls.append('detect')
        out = []
        for frame in frames:
            box = _square_box(frame)
            out.append(np.zeros((0, 5), np.float32) if box is None else
                       np.append(box, 0.9)[None].astype(np.float32))
        return out

    def estimate(self, frames, bboxes=None):
        self.calls.append('estimate')
        assert bboxes is not None and len(bboxes) == len(frames)
        return PoseFrames(*_hand_in(np.asarray(bboxes, np.float32)), bboxes)


@dataclass
class MarkedFrames(PoseFrames):
    marks: List[int]


class SquareTrackerSource(PersonPoseSource):
    """Finds the square itself, frame by frame, except in the frames listed in ``blind``."""
    name = 'square-tracker'
    person_source = 'square-tracker'
    finds_person = True

    def __init__(self, blind=()) -> None:
        self.blind, self.seen, self.resets = set(blind), 0, 0

    def reset(self) -> None:
        self.seen, self.resets = 0, self.resets + 1

    def estimate(self, frames, bboxes=None):
        assert bboxes is None
        boxes = np.zeros((len(frames), 4), np.float32)
        for i, frame in enumerate(frames):
            box = _square_box(frame)
            if box is not None and self.seen + i not in self.blind:
                boxes[i] = box
        marks = list(range(self.seen, self.seen + len(frames)))
        self.seen += len(frames)
        return MarkedFrames(*_hand_in(boxes), boxes, marks)

    def no_person_message(self, video, num_frames):
        return f'{video}: no square in {num_frames} frames'


class MarkReadingPartMaps(KeypointPartMaps):
    """Keypoint part maps that also take the tracker's ``marks`` (an extra source output)."""
    extra_inputs = ('marks', )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.marks: List[int] = []

    def __call__(self, frames, img_shape, keypoints, keypoint_scores, bboxes, marks=None):
        self.marks.extend(marks)
        return super().__call__(frames, img_shape, keypoints, keypoint_scores, bboxes)


@pytest.fixture(scope='module')
def video(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp('videos') / 'square.mp4'
    return str(write_video(path, moving_square_frames(7, (64, 96), square=16)))


def test_top_down_source_detects_every_frame_before_estimating(video):
    source = SquareDetectorSource()
    cached = VideoAnnotator(source, KeypointPartMaps(8), batch_size=3).process(video)
    assert source.calls == ['detect'] * 3 + ['estimate'] * 3  # 7 frames in chunks of 3
    assert cached.meta['person_source'] == 'square-detector'
    assert cached.meta['keypoint_source'] == 'square-top-down'
    assert cached.meta['person_frames_detected'] == 7
    assert set(cached.timings) == {'decode', 'detect', 'track', 'pose', 'part_maps'}
    # the left hand's part map lies over the square
    hand = cached.part_maps[:, 0]
    assert (hand.reshape(7, -1).max(1) > 0).all()
    redecoded = VideoAnnotator(SquareDetectorSource(), KeypointPartMaps(8), batch_size=3,
                               frame_cache_mb=0).process(video)
    for key in ('keypoints', 'keypoint_scores', 'person_bboxes', 'part_maps'):
        np.testing.assert_array_equal(getattr(cached, key), getattr(redecoded, key))
    settings = VideoAnnotator(source, KeypointPartMaps(8)).describe()
    assert settings['part_map_source'] == 'keypoints' and settings['grid_size'] == [8, 8]


def test_source_that_finds_the_person_runs_once_and_gets_filled(video):
    source = SquareTrackerSource(blind=(2, 3))
    parts = MarkReadingPartMaps(8)
    ann = VideoAnnotator(source, parts, batch_size=3).process(video)
    assert source.resets == 2  # before and after the video: no state leaks into the next
    assert parts.marks == list(range(7))  # its extra output reached the part maps, in order
    meta = ann.meta
    assert meta['person_source'] == 'square-tracker' and meta['keypoint_source'] == 'square-tracker'
    assert meta['person_frames_detected'] == 5 and meta['person_frames_filled'] == 2
    assert meta['filled_frames'] == [[2, 4]] and meta['missing_frames'] == []
    assert 'detect' not in ann.timings
    # filled frames get a box between their neighbours' and no keypoints
    boxes = ann.person_bboxes
    assert (boxes[1, 0] < boxes[2, 0] < boxes[3, 0] < boxes[4, 0])
    assert not ann.keypoint_scores[2:4].any() and ann.keypoint_scores[[0, 1, 4]].any()
    without_fill = VideoAnnotator(SquareTrackerSource(blind=(2, 3)), KeypointPartMaps(8),
                                  fill_missing='none').process(video)
    assert without_fill.meta['missing_frames'] == [[2, 4]]


def test_no_person_is_skipped_with_the_sources_reason_or_given_the_whole_frame(video):
    blind = SquareTrackerSource(blind=range(7))
    with pytest.raises(NoPersonError, match='square.mp4: no square in 7 frames'):
        VideoAnnotator(blind, KeypointPartMaps(8)).process(video)
    assert blind.resets == 2  # reset after a failed video too
    ann = VideoAnnotator(SquareTrackerSource(blind=range(7)), KeypointPartMaps(8),
                         no_person='whole-frame').process(video)
    assert ann.meta['person_source'] == 'whole_frame'
    np.testing.assert_array_equal(ann.person_bboxes, np.tile([0, 0, 96, 64], (7, 1)))
    with pytest.raises(NotImplementedError, match='finds the person itself'):
        SquareTrackerSource().detect([])
    with pytest.raises(TypeError):
        PersonPoseSource()  # estimate() is abstract
