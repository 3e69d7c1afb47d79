"""Choosing the signer among the detected people, and filling frames where it was missed."""
import numpy as np
import pytest

from signmae_mm.preprocessing.pipeline import frame_ranges
from signmae_mm.preprocessing.signer_tracking import (fill_missing_boxes, track_signer,
                                                      whole_frame_track)

SIGNER = [40, 20, 100, 120]
PASSER_BY = [0, 0, 20, 30]


def det(*boxes):
    return np.array(boxes, np.float32).reshape(-1, 5)


def test_keeps_the_large_confident_person_over_time():
    frames = [det(SIGNER + [0.8], PASSER_BY + [0.99]) for _ in range(6)]
    # frame 3: a large, confident false positive away from the signer
    frames[3] = det(SIGNER + [0.8], [110, 0, 180, 110, 0.95])
    track = track_signer(frames)
    np.testing.assert_array_equal(track.bboxes, np.tile(SIGNER, (6, 1)))
    assert track.detected.all() and not track.filled.any()
    np.testing.assert_allclose(track.scores, 0.8)
    # without temporal continuity the false positive wins its frame (larger score x area)
    greedy = track_signer(frames, iou_weight=0)
    np.testing.assert_array_equal(greedy.bboxes[3], [110, 0, 180, 110])


def test_missed_frames_are_interpolated_or_left_empty():
    a, b = np.array([0, 0, 10, 10]), np.array([30, 0, 40, 10])
    frames = [det(), det(list(a) + [0.9]), det(), det(), det(list(b) + [0.9]), det()]
    track = track_signer(frames)
    assert track.detected.tolist() == [False, True, False, False, True, False]
    filled = fill_missing_boxes(track, 'interpolate')
    np.testing.assert_allclose(filled.bboxes[[0, 2, 3, 5]],
                               [a, a + (b - a) / 3, a + 2 * (b - a) / 3, b])
    assert filled.filled.tolist() == [True, False, True, True, False, True]
    assert frame_ranges(filled.filled) == [[0, 1], [2, 4], [5, 6]]
    empty = fill_missing_boxes(track, 'none')
    assert not empty.bboxes[[0, 2, 3, 5]].any() and not empty.filled.any()
    with pytest.raises(ValueError, match='fill mode'):
        fill_missing_boxes(track, 'nearest')


def test_no_person_and_degenerate_boxes():
    track = track_signer([det(), det([5, 5, 5, 9, 0.9])])  # zero-width box: not a person
    assert not track.detected.any() and not track.bboxes.any()
    whole = whole_frame_track(3, (48, 64))
    np.testing.assert_array_equal(whole.bboxes, np.tile([0, 0, 64, 48], (3, 1)))
    assert not whole.detected.any()
