"""Keypoint subsets, their flip pairs, ``SelectKeypoints`` and the pose glue transforms."""
import os.path as osp

import numpy as np
import pytest
from _pose_clips import H, W, run_pipeline, write_two_hand_sample
from mmaction.registry import TRANSFORMS

from signmae_mm.datasets.transforms import (COCO_WHOLEBODY_FLIP_INDICES, KEYPOINT_SUBSETS,
                                            NLA_SLR_63, NLA_SLR_63_LEFT_KP, NLA_SLR_63_RIGHT_KP,
                                            keypoint_subset, subset_flip_pairs)


@pytest.mark.requires('full_stack')
def test_flip_indices_equal_mmposes_coco_wholebody_metainfo():
    import mmpose
    from mmpose.datasets.datasets.utils import parse_pose_metainfo
    meta = parse_pose_metainfo(dict(from_file=osp.join(
        osp.dirname(mmpose.__file__), '.mim', 'configs', '_base_', 'datasets',
        'coco_wholebody.py')))
    assert list(meta['flip_indices']) == list(COCO_WHOLEBODY_FLIP_INDICES)


def test_nla_slr_63_is_upper_body_mouth_and_hands():
    assert len(NLA_SLR_63) == 63 and len(set(NLA_SLR_63)) == 63
    assert NLA_SLR_63[:11] == tuple(range(11))
    assert NLA_SLR_63[11:21] == (71, 73, 75, 77, 79, 81, 83, 85, 87, 89)
    assert NLA_SLR_63[21:] == tuple(range(91, 133))
    assert KEYPOINT_SUBSETS['nla_slr_63'] == NLA_SLR_63


def test_subset_flip_pairs_swap_mirror_points_and_keep_the_midline():
    left, right = subset_flip_pairs('nla_slr_63')
    assert (tuple(left), tuple(right)) == (NLA_SLR_63_LEFT_KP, NLA_SLR_63_RIGHT_KP)
    assert len(left) == 30  # 5 body pairs, 4 mouth pairs, 21 hand pairs
    for a, b in zip(left, right):
        assert COCO_WHOLEBODY_FLIP_INDICES[NLA_SLR_63[a]] == NLA_SLR_63[b]
    paired = set(left) | set(right)
    midline = [NLA_SLR_63[i] for i in range(63) if i not in paired]
    assert midline == [0, 85, 89]  # nose, the mouth's middle points
    assert all(COCO_WHOLEBODY_FLIP_INDICES[k] == k for k in midline)
    # hands: subject's left hand point i <-> right hand point i
    assert [NLA_SLR_63[a] for a in left[-21:]] == list(range(91, 112))
    assert [NLA_SLR_63[b] for b in right[-21:]] == list(range(112, 133))


def test_subsets_without_mirror_points_are_refused():
    with pytest.raises(ValueError, match='lack their mirror'):
        subset_flip_pairs(list(range(91, 112)))  # left hand only
    with pytest.raises(KeyError, match='Unknown keypoint subset'):
        keypoint_subset('nla_slr_64')
    with pytest.raises(ValueError, match='outside'):
        keypoint_subset([0, 133])
    with pytest.raises(ValueError, match='repeats'):
        keypoint_subset([1, 1])


def _pose_sample(num_frames=4, seed=0):
    rng = np.random.default_rng(seed)
    kps = rng.uniform(0, 100, (1, num_frames, 133, 2)).astype(np.float32)
    scores = rng.uniform(0, 1, (1, num_frames, 133)).astype(np.float32)
    scores[..., ::7] = 0
    return dict(keypoint=kps, keypoint_score=scores)


def test_select_keypoints_keeps_the_subset_in_order_with_binary_scores():
    sample = _pose_sample()
    out = TRANSFORMS.build(dict(type='SelectKeypoints'))(dict(sample))
    index = list(NLA_SLR_63)
    assert out['keypoint'].shape == (1, 4, 63, 2) and out['keypoint'].dtype == np.float32
    np.testing.assert_array_equal(out['keypoint'], sample['keypoint'][:, :, index])
    np.testing.assert_array_equal(out['keypoint_score'],
                                  (sample['keypoint_score'][:, :, index] > 0).astype(np.float32))
    assert out['keypoint_subset'] == NLA_SLR_63


def test_select_keypoints_thresholds_and_keeps_raw_scores():
    sample = _pose_sample(seed=1)
    out = TRANSFORMS.build(dict(type='SelectKeypoints', keypoints=[10, 9, 112, 91],
                                score_thr=0.5, binary_scores=False))(dict(sample))
    raw = sample['keypoint_score'][:, :, [10, 9, 112, 91]]
    np.testing.assert_allclose(out['keypoint_score'], np.where(raw > 0.5, raw, 0))
    np.testing.assert_array_equal(out['keypoint'], sample['keypoint'][:, :, [10, 9, 112, 91]])


def test_select_keypoints_errors_name_the_problem():
    select = TRANSFORMS.build(dict(type='SelectKeypoints'))
    with pytest.raises(KeyError, match='with_pose_keys=True'):
        select(dict(filename='v.mp4'))
    with pytest.raises(ValueError, match=r'\(M, T, 133, 2\)'):
        select(dict(keypoint=np.zeros((1, 4, 17, 2), np.float32)))


def test_keypoint_only_clip_gets_the_annotations_frame_and_matches_a_decoded_one(tmp_path):
    """The heatmap stream decodes no frames: its keypoints must land where those of a decoded
    clip land through the same transforms."""
    sample = write_two_hand_sample(tmp_path, num_frames=8)
    head = [dict(type='DecordInit'), dict(type='SampleFrames', clip_len=4, frame_interval=2)]
    tail = [dict(type='LoadSignAnnotation', with_pose_keys=True), dict(type='SelectKeypoints'),
            dict(type='Resize', scale=(-1, 64)), dict(type='CenterCrop', crop_size=48),
            dict(type='PackActionInputs', collect_keys=('keypoint', ))]
    np.random.seed(0)
    pose, _ = run_pipeline(head + tail[:2] + [dict(type='ImgShapeFromAnnotation')] + tail[2:],
                           sample['info'])
    np.random.seed(0)
    rgb, _ = run_pipeline(head + [dict(type='DecordDecode')] + tail, sample['info'])
    assert pose['original_shape'] == (H, W) == tuple(rgb['original_shape'])
    assert tuple(pose['img_shape']) == tuple(rgb['img_shape']) == (48, 48)
    np.testing.assert_allclose(pose['keypoint'], rgb['keypoint'])
    # after decoding, a disagreeing annotation size is an error
    shape_check = TRANSFORMS.build(dict(type='ImgShapeFromAnnotation'))
    with pytest.raises(ValueError, match='before the spatial transforms'):
        shape_check(dict(sign_img_shape=(H, W), img_shape=(48, 48)))
    with pytest.raises(KeyError, match='after LoadSignAnnotation'):
        shape_check(dict(img_shape=(H, W)))


def test_clip_len_per_modality():
    per = TRANSFORMS.build(dict(type='ClipLenPerModality'))
    assert per(dict(clip_len=8))['clip_len'] == dict(RGB=8, Pose=8)
    assert per(dict(clip_len=dict(RGB=8, Pose=4)))['clip_len'] == dict(RGB=8, Pose=4)
    with pytest.raises(KeyError, match='lacks'):
        per(dict(clip_len=dict(RGB=8)))
