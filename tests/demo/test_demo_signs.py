"""The vocabulary: hand shapes, trajectories, and fine-grained pairs that differ only in what
they should (checked on the definitions and on rendered clips)."""
import itertools

import numpy as np
import pytest
from _demo_checks import LEFT_HAND, RIGHT_HAND, cells_to_pixels, dilate_cells

from signmae_mm.demo import (HAND_SHAPES, SIGN_PAIRS, VOCABULARY, BodyShape, Trajectory,
                             get_vocabulary, hand_points, motion_split, render_clip)
from signmae_mm.structures import KEYPOINT_RANGES

HANDS = np.r_[slice(*KEYPOINT_RANGES['left_hand']), slice(*KEYPOINT_RANGES['right_hand'])]
RH = slice(*KEYPOINT_RANGES['right_hand'])


def test_hand_points_follow_the_finger_configuration():
    flat, fist, point = (hand_points(HAND_SHAPES[n]) for n in ('flat', 'fist', 'point'))
    assert flat.shape == (21, 2) and (flat[0] == 0).all()  # the wrist is the origin
    tips, mcps = [8, 12, 16, 20], [5, 9, 13, 17]
    assert (flat[tips, 1] > flat[mcps, 1] + 0.3).all()  # straight fingers reach up
    assert (fist[tips, 1] < fist[mcps, 1]).all()  # bent ones fold back over the palm
    assert point[8, 1] > point[5, 1] + 0.3
    assert (point[[12, 16, 20], 1] < point[[9, 13, 17], 1]).all()
    for a, b in itertools.combinations(HAND_SHAPES, 2):  # every shape is its own
        gap = np.abs(hand_points(HAND_SHAPES[a]) - hand_points(HAND_SHAPES[b])).max()
        assert gap > 0.1, (a, b)


def test_trajectory_eases_through_its_keyframes():
    traj = Trajectory(((0.0, 0.0, 0.0, 0.0), (0.5, 1.0, 2.0, 90.0), (1.0, 1.0, 2.0, 90.0)))
    pos, angle = traj.at(np.array([0.0, 0.25, 0.5, 0.75, 1.0]))
    np.testing.assert_allclose(pos, [[0, 0], [0.5, 1], [1, 2], [1, 2], [1, 2]])
    np.testing.assert_allclose(angle, [0, 45, 90, 90, 90])
    slow = traj.at(np.array([0.02]))[0][0, 0]
    assert slow < 0.02  # eases in: slower than linear near a keyframe
    mirrored = traj.mirrored().at(np.array([0.5]))
    np.testing.assert_allclose(mirrored[0], [[-1, 2]])
    np.testing.assert_allclose(mirrored[1], [-90])
    with pytest.raises(ValueError, match='rise'):
        Trajectory(((0.5, 0, 0, 0), ))


def test_vocabulary_is_made_of_fine_grained_pairs():
    names = [s.name for s in VOCABULARY]
    assert len(names) == len(set(names)) == 40 and len(SIGN_PAIRS) == 20
    assert get_vocabulary(10) == VOCABULARY[:10]
    kinds = set()
    for k, pair in enumerate(SIGN_PAIRS):
        a, b = VOCABULARY[2 * k], VOCABULARY[2 * k + 1]
        assert (pair.first, pair.second) == (a.name, b.name)
        kinds.add(pair.kind)
        if pair.kind == 'shape':
            assert a.right == b.right and a.left == b.left
            assert a.shapes() != b.shapes()
            assert motion_split(a, b) == 1.0
        else:
            assert pair.kind == 'motion'
            assert a.shapes() == b.shapes() and (a.right, a.left) != (b.right, b.left)
            split = motion_split(a, b)
            assert 0.6 <= split < 1.0  # only the last part of the sign differs ...
            u = np.linspace(split, 1.0, 50)
            for ta, tb in ((a.right, b.right), (a.left, b.left)):
                pa, aa = ta.at(u)
                pb, ab = tb.at(u)
                # ... and only a little: within half a shoulder width or a wrist turn
                assert np.linalg.norm(pa - pb, axis=-1).max() <= 0.5
                assert np.abs(aa - ab).max() <= 90
    assert kinds == {'shape', 'motion'}
    with pytest.raises(ValueError):
        get_vocabulary(41)


def test_every_keyframe_is_within_reach():
    body = BodyShape()
    reach = (body.upper_arm + body.forearm) * 0.96  # the shortest arms the jitter draws
    for sign in VOCABULARY:
        for side, traj in (('right', sign.right), ('left', sign.left)):
            keys = np.asarray(traj.keys)[:, 1:3]
            shoulder = np.array([0.5 if side == 'left' else -0.5, body.shoulder_y])
            # the per-video signing-space jitter stretches by up to 6 % and shifts by 0.04
            dist = np.linalg.norm(1.06 * (keys - [0, 0.3]) + [0, 0.3] - shoulder, axis=-1)
            assert dist.max() + 0.06 < reach, (sign.name, side, dist.max())


def _pair_clips(k: int, seed: int = 21):
    a, b = VOCABULARY[2 * k], VOCABULARY[2 * k + 1]
    return SIGN_PAIRS[k], a, b, *(render_clip(s, seed, num_frames=16, size=112) for s in (a, b))


@pytest.mark.parametrize('k', [0, 2, 4, 14])
def test_shape_pairs_differ_only_at_the_hands(k):
    pair, a, b, ca, cb = _pair_clips(k)
    assert pair.kind == 'shape'
    body = np.setdiff1d(np.arange(133), HANDS)
    wrists = [91, 112]  # the hands' own wrist points: the trajectories are shared
    assert np.array_equal(ca.keypoints[:, body], cb.keypoints[:, body])
    assert np.array_equal(ca.keypoints[:, wrists], cb.keypoints[:, wrists])
    assert np.abs(ca.keypoints[:, RH] - cb.keypoints[:, RH]).max() > 3  # fingers differ
    diff = (ca.frames != cb.frames).any(-1)
    assert diff.sum() > 100
    hands = (ca.part_maps[:, [LEFT_HAND, RIGHT_HAND]] > 0).any(1)
    hands |= (cb.part_maps[:, [LEFT_HAND, RIGHT_HAND]] > 0).any(1)
    near_hands = cells_to_pixels(dilate_cells(hands), (112, 112))
    assert not (diff & ~near_hands).any()  # not one pixel changes away from the hands


@pytest.mark.parametrize('k', [1, 3, 5, 7, 9, 15])
def test_motion_pairs_share_everything_before_the_split(k):
    pair, a, b, ca, cb = _pair_clips(k)
    assert pair.kind == 'motion'
    split = motion_split(a, b)
    before = ca.phase <= split
    assert np.array_equal(ca.phase, cb.phase) and before.any() and (~before).any()
    assert np.array_equal(ca.frames[before], cb.frames[before])
    assert np.array_equal(ca.keypoints[before], cb.keypoints[before])
    assert not np.array_equal(ca.frames[-1], cb.frames[-1])
    # the same hand shapes throughout: distances between the 21 points of each hand are
    # unchanged by where the hand is and how it is turned
    for hand in (slice(91, 112), slice(112, 133)):
        da = np.linalg.norm(ca.keypoints[:, hand, None] - ca.keypoints[:, None, hand], axis=-1)
        db = np.linalg.norm(cb.keypoints[:, hand, None] - cb.keypoints[:, None, hand], axis=-1)
        np.testing.assert_allclose(da, db, atol=1e-3)
