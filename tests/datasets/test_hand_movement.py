"""HandMovementCheck and LoadSignAnnotation on real clips and edge-case keypoints."""
import numpy as np
import pytest
from _sign_clips import LOAD, build_pipeline, sample_info
from mmaction.registry import TRANSFORMS

from signmae_mm.structures import SignAnnotationError


def _check(**kwargs):
    return TRANSFORMS.build(dict(type='HandMovementCheck', **kwargs))


def test_moving_and_static_hands(make_sign_sample):
    moving = build_pipeline(LOAD)(sample_info(make_sign_sample('moving')))
    static = build_pipeline(LOAD)(sample_info(make_sign_sample('static', motion='static')))
    out = _check()(dict(moving))
    # the hand moves 4-8 px per frame, 0.1-0.2 shoulder widths: every tracked pair moves
    assert out['hand_motion_valid'] and out['hand_moving'] and out['hand_motion_score'] > 0.9
    assert out['hand_motion_reason'] == ''
    out = _check()(dict(static))
    assert out['hand_motion_valid'] and not out['hand_moving']
    assert out['hand_motion_score'] == 0.0
    # a larger interval k sees larger displacements; a high threshold sees none
    assert _check(interval=4, motion_thr=0.5)(dict(moving))['hand_motion_score'] > 0.5
    assert not _check(motion_thr=1.0)(dict(moving))['hand_moving']
    # the person box as body size works too
    assert _check(body_size='bbox')(dict(moving))['hand_moving']
    # drop in training, never in testing
    assert _check(drop_static=True)(dict(static)) is None
    assert _check(drop_static=True)(dict(moving)) is not None
    assert _check(drop_static=True)(dict(static, test_mode=True)) is not None


def test_score_is_scale_invariant():
    rng = np.random.default_rng(0)
    kps = rng.uniform(100, 200, (8, 133, 2)).astype(np.float32)
    kps[:, 5], kps[:, 6] = (100, 150), (180, 150)
    scores = np.ones((8, 133), np.float32)
    boxes = np.tile(np.array([[50, 50, 250, 300]], np.float32), (8, 1))
    a = _check(motion_thr=0.3).measure(
        dict(sign_keypoints=kps, sign_keypoint_scores=scores, sign_person_bboxes=boxes))
    b = _check(motion_thr=0.3).measure(
        dict(sign_keypoints=kps * 3, sign_keypoint_scores=scores, sign_person_bboxes=boxes * 3))
    assert a == b and 0 < a[0] < 1


def test_unknown_movement_is_recorded_not_guessed(make_sign_sample):
    results = build_pipeline(LOAD)(sample_info(make_sign_sample('moving')))
    zero = dict(results, sign_keypoint_scores=np.zeros_like(results['sign_keypoint_scores']))
    out = _check(drop_static=True)(dict(zero))
    assert out is not None and out['hand_motion_valid'] is False
    assert out['hand_moving'] is False and out['hand_motion_score'] == 0.0
    assert 'no body size (shoulder)' in out['hand_motion_reason']
    assert _check(drop_static=True, drop_unknown=True)(dict(zero)) is None
    # shoulders seen, hands not: no confident pair
    scores = np.zeros_like(results['sign_keypoint_scores'])
    scores[:, [5, 6]] = 1
    out = _check()(dict(results, sign_keypoint_scores=scores))
    assert 'no hand keypoint pair with score >= 0.3' in out['hand_motion_reason']
    out = _check(interval=16)(dict(results))
    assert 'not longer than the interval 16' in out['hand_motion_reason']
    with pytest.raises(KeyError, match='add LoadSignAnnotation'):
        _check()(dict(filename='v.mp4'))


def test_nan_keypoints_error_or_ignored(make_sign_sample):
    arrays = make_sign_sample('v')['arrays']
    scores = arrays['keypoint_scores'].copy()
    scores[3, 95] = np.nan
    sample = make_sign_sample('nan', keypoint_scores=scores)
    with pytest.raises(SignAnnotationError, match=r'nan.mp4 \(sign annotation .*nan.npz\): 1 '
                       'keypoint scores are NaN/inf'):
        build_pipeline(LOAD)(sample_info(sample))
    load = LOAD[:-1] + [dict(type='LoadSignAnnotation', nonfinite_keypoints='ignore')]
    out = build_pipeline(load)(sample_info(sample))
    assert out['sign_nonfinite_keypoints'] == 1 and out['sign_keypoint_scores'][3, 95] == 0
    assert np.isfinite(out['sign_keypoints']).all()
    assert _check()(out)['hand_moving']


def test_load_slices_frames_and_pose_keys_follow_the_crop(make_sign_sample):
    sample = make_sign_sample('v', num_frames=20)
    results = build_pipeline([
        dict(type='DecordInit'),
        dict(type='SampleFrames', clip_len=8, frame_interval=2, num_clips=1, test_mode=True),
        dict(type='DecordDecode'),
        dict(type='LoadSignAnnotation', with_pose_keys=True),
        dict(type='CenterCrop', crop_size=60),
        dict(type='Flip', flip_ratio=1.0),
    ])(sample_info(sample))
    inds = results['frame_inds']
    assert list(inds) == list(range(2, 18, 2))  # the centred 8x2 clip of 20 frames
    np.testing.assert_array_equal(results['sign_part_maps'], sample['arrays']['part_maps'][inds])
    np.testing.assert_array_equal(results['sign_keypoints'], sample['keypoints'][inds])
    assert results['sign_img_shape'] == (96, 128) and results['sign_repeated_frames'] is False
    assert results['sign_part_map_source'] == 'synthetic'
    # mmaction moved its pose keys with the crop (x - 34, y - 18) and the flip (60 - x)
    wrist = sample['keypoints'][inds, 9]
    np.testing.assert_allclose(results['keypoint'][0, :, 9, 0], 60 - (wrist[:, 0] - 34))
    np.testing.assert_allclose(results['keypoint'][0, :, 9, 1], wrist[:, 1] - 18)
    # our own keys stay in the video's pixel frame
    np.testing.assert_array_equal(results['sign_keypoints'][:, 9], wrist)
    with pytest.raises(KeyError, match='place it after DecordInit and SampleFrames'):
        TRANSFORMS.build(dict(type='LoadSignAnnotation'))(sample_info(sample))
    with pytest.raises(SignAnnotationError, match='no "sign_ann"'):
        TRANSFORMS.build(dict(type='LoadSignAnnotation'))(dict(filename='x.mp4'))


def test_annotation_without_part_maps_names_the_video(make_sign_sample):
    sample = make_sign_sample('v')
    with np.load(sample['ann']) as npz:
        arrays = {k: npz[k] for k in npz.files if not k.startswith('part_maps')}
    np.savez_compressed(sample['ann'], **arrays)
    with pytest.raises(SignAnnotationError, match=r"v.mp4 \(sign annotation .*v.npz\): sign "
                       r"annotation lacks \['part_maps'\]"):
        build_pipeline(LOAD)(sample_info(sample))
