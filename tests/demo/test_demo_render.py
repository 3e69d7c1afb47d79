"""render_clip: determinism, and ground truth (keypoints, part maps, boxes) that agrees with
the pixels it draws."""
import numpy as np
import pytest
from _demo_checks import LEFT_HAND, RIGHT_HAND, colour_mask, hand_agreement, near_colour

from signmae_mm.demo import HAND_SHAPES, VOCABULARY, BodyShape, pose_signer, render_clip
from signmae_mm.structures import KEYPOINT_RANGES, SAPIENS_CLASSES

LH, RH = (slice(*KEYPOINT_RANGES[k]) for k in ('left_hand', 'right_hand'))
# (class, seed) pairs: one- and two-handed signs, signs at the face, a base hand
CASES = [(0, 11), (3, 12), (5, 13), (8, 14), (12, 15), (16, 16)]


@pytest.fixture(scope='module')
def clips():
    return [render_clip(VOCABULARY[c], seed=s, num_frames=12, size=112) for c, s in CASES]


def test_same_seed_same_clip_other_seed_other_clip():
    a, b = (render_clip(VOCABULARY[2], seed=7, num_frames=6, size=64) for _ in range(2))
    for key in ('frames', 'paint', 'keypoints', 'keypoint_scores', 'person_bboxes', 'part_maps',
                'phase'):
        x, y = getattr(a, key), getattr(b, key)
        assert x.dtype == y.dtype and x.tobytes() == y.tobytes(), key
    c = render_clip(VOCABULARY[2], seed=8, num_frames=6, size=64)
    assert not np.array_equal(a.frames, c.frames)
    assert not np.array_equal(a.keypoints, c.keypoints)


def test_shapes_and_dtypes(clips):
    clip = clips[0]
    assert clip.frames.shape == (12, 112, 112, 3) and clip.frames.dtype == np.uint8
    assert clip.keypoints.shape == (12, 133, 2) and clip.keypoints.dtype == np.float32
    assert clip.keypoint_scores.shape == (12, 133)
    assert clip.part_maps.shape == (12, 7, 32, 32) and clip.part_maps.dtype == np.uint8
    assert clip.paint.shape == (12, 224, 224)
    assert set(np.unique(clip.keypoint_scores)) <= {0.0, 1.0}
    assert clip.phase[0] == 0 and clip.phase[-1] == 1  # the whole sign is in the clip


def test_hand_colour_lies_under_the_hand_maps(clips):
    for clip in clips:
        stats = hand_agreement(clip.frames, clip.part_maps, clip.appearance.hand_colours, 14)
        assert stats['num_hand_pixels'] > 200
        assert stats['outside'] < 0.005, stats
        # the maps claim about as much hand as the frames show (not a blanket over the frame)
        assert 0.7 < stats['ratio'] < 1.15, stats


def test_agreement_check_catches_wrong_maps(clips):
    # the check above must fail for maps that are off by a few cells or swapped with the face
    clip = clips[2]
    shifted = np.roll(clip.part_maps, 3, axis=-1)
    assert hand_agreement(clip.frames, shifted, clip.appearance.hand_colours, 14)['outside'] > 0.1
    blanket = clip.part_maps.copy()
    blanket[:, [LEFT_HAND, RIGHT_HAND]] = np.maximum(blanket[:, [LEFT_HAND, RIGHT_HAND]], 40)
    assert hand_agreement(clip.frames, blanket, clip.appearance.hand_colours, 14)['ratio'] < 0.5


def test_hand_keypoints_lie_on_the_hand(clips):
    for clip in clips:
        skin = colour_mask(clip.frames, clip.appearance.hand_colours, 14)
        cls = clip.class_maps
        ss = clip.supersample
        for part, kps_slice in (('Right_Hand', RH), ('Left_Hand', LH)):
            kps = clip.keypoints[:, kps_slice]
            scored = clip.keypoint_scores[:, kps_slice] > 0
            hits, labels = [], []
            for t in range(len(kps)):
                pts = kps[t][scored[t]]
                hits.append(near_colour(skin[t], pts, radius=1))
                fine = np.clip(np.rint((pts + 0.5) * ss - 0.5).astype(int), 0, cls.shape[-1] - 1)
                labels.append(cls[t, fine[:, 1], fine[:, 0]])
            hits, labels = np.concatenate(hits), np.concatenate(labels)
            assert hits.mean() > 0.97, (clip.sign, part, hits.mean())
            # the dominant (right) hand is drawn in front; the left one may hide behind it
            want = 0.98 if part == 'Right_Hand' else 0.8
            assert (labels == SAPIENS_CLASSES.index(part)).mean() > want, (clip.sign, part)


def test_body_keypoints_lie_on_their_parts(clips):
    names = {c: SAPIENS_CLASSES.index(c) for c in SAPIENS_CLASSES}
    expect = {
        0: {'Face_Neck'}, 1: {'Face_Neck'}, 2: {'Face_Neck'},  # nose, eyes
        5: {'Left_Upper_Arm'}, 6: {'Right_Upper_Arm'},  # shoulders (the sleeve's round end)
        7: {'Left_Upper_Arm', 'Left_Lower_Arm'}, 8: {'Right_Upper_Arm', 'Right_Lower_Arm'},
        9: {'Left_Hand', 'Left_Lower_Arm'}, 10: {'Right_Hand', 'Right_Lower_Arm'},
    }
    for clip in clips:
        cls = clip.class_maps
        ss = clip.supersample
        for k, allowed in expect.items():
            scored = clip.keypoint_scores[:, k] > 0  # e.g. an elbow may leave the frame
            assert scored.mean() > 0.5
            pts = clip.keypoints[scored, k]
            fine = np.rint((pts + 0.5) * ss - 0.5).astype(int)
            got = cls[np.flatnonzero(scored), fine[:, 1], fine[:, 0]]
            hands = {names['Left_Hand'], names['Right_Hand']}  # a hand may pass in front
            ok = np.isin(got, [names[c] for c in allowed] + list(hands))
            assert ok.mean() >= 0.9, (clip.sign, k, got)
        for t in range(len(cls)):  # each part map is where its hand is: centroids agree
            for group, kps_slice in ((LEFT_HAND, LH), (RIGHT_HAND, RH)):
                m = clip.part_maps[t, group].astype(np.float64)
                if m.sum() < 255 * 4:
                    continue
                gy, gx = np.mgrid[0:32, 0:32]
                cell = 112 / 32
                centre = np.array([(m * (gx + 0.5)).sum(), (m * (gy + 0.5)).sum()]) / m.sum()
                assert np.linalg.norm(centre * cell - clip.keypoints[t, kps_slice].mean(0)) < 6


def test_left_hand_is_on_the_image_right_at_rest(clips):
    for clip in clips:
        rest = clip.phase == 0
        assert rest.any()
        left_x = clip.keypoints[rest][:, LH, 0].mean()
        right_x = clip.keypoints[rest][:, RH, 0].mean()
        assert left_x > right_x  # the signer faces the camera


def test_scores_mark_drawn_points_inside_the_frame():
    shapes = dict(left=HAND_SHAPES['flat'], right=HAND_SHAPES['flat'])
    wrists = dict(left=np.array([[0.3, 0.5]]), right=np.array([[-0.3, 0.5]]))
    angles = dict(left=np.zeros(1), right=np.zeros(1))
    pose = pose_signer(BodyShape(), wrists, angles, shapes, 40.0, (50.0, 40.0), (100, 100))
    s = pose.keypoint_scores[0]
    assert (s[13:23] == 0).all()  # knees, ankles, feet: never drawn
    assert (s[:11] == 1).all() and (s[23:] == 1).all()
    # move the signer half out of the frame: the right side (image left) loses its scores
    pose = pose_signer(BodyShape(), wrists, angles, shapes, 40.0, (0.0, 40.0), (100, 100))
    s, k = pose.keypoint_scores[0], pose.keypoints[0]
    assert (s[RH] == 0).all() and (k[RH] == 0).all() and s[6] == 0 and s[10] == 0
    assert (s[LH] == 1).all() and s[5] == 1 and s[9] == 1


def test_person_boxes_hold_the_keypoints(clips):
    for clip in clips:
        boxes = clip.person_bboxes
        assert (boxes[:, 2] > boxes[:, 0]).all() and (boxes[:, 3] > boxes[:, 1]).all()
        assert (boxes[:, :2] >= 0).all() and (boxes[:, 2:] <= 112).all()
        for t in range(len(boxes)):
            pts = clip.keypoints[t][clip.keypoint_scores[t] > 0]
            assert (pts >= boxes[t, :2] - 0.5).all() and (pts <= boxes[t, 2:] + 0.5).all()
