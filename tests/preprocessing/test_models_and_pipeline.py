"""PersonDetector / WholeBodyPoseEstimator on real mmdet / mmpose models (random weights,
shipped configs) and VideoPreprocessor on a real video."""
import numpy as np
import pytest
from conftest import DET_CONFIG

from signmae_mm.preprocessing import (KeypointPartMaps, NoPersonError, PersonDetector,
                                      VideoPreprocessor, WholeBodyPoseEstimator,
                                      resolve_model_config, zoo_checkpoint_url)
from signmae_mm.testing import moving_square_frames, write_video

# RTMDet / RTMPose with random weights: mmdet, mmpose and mmcv's compiled ops
pytestmark = pytest.mark.requires('full_stack')


def test_detector_returns_person_boxes_sorted_by_score(detector):
    frames = moving_square_frames(3, (96, 128))
    out = detector(list(frames))
    assert len(out) == 3
    for boxes in out:
        assert boxes.dtype == np.float32 and boxes.ndim == 2 and boxes.shape[1] == 5
        assert len(boxes) > 0  # the fixture biases the random detector towards "person"
        assert (boxes[:, 4] >= detector.score_thr).all()
        assert (np.diff(boxes[:, 4]) <= 0).all()
    assert detector([]) == []
    # the 128-px input replaced RTMDet's 640 in both the resize and the pad of its pipeline
    steps = {type(t).__name__: t for t in detector.pipeline.transforms}
    assert steps['Resize'].scale == (128, 128) and steps['Pad'].size == (128, 128)


def test_batched_detection_and_pose_match_the_mmdet_and_mmpose_apis(
        detector, pose_estimator):
    from mmdet.apis import inference_detector
    from mmpose.apis import inference_topdown
    frames = moving_square_frames(2, (96, 128))
    ours = detector(list(frames))
    for frame, boxes in zip(frames, ours):
        ref = inference_detector(detector.model, frame, test_pipeline=detector.pipeline)
        inst = ref.pred_instances
        keep = (inst.labels == detector.person_label) & (inst.scores >= detector.score_thr)
        np.testing.assert_allclose(boxes[:, :4], inst.bboxes[keep].numpy(), atol=1e-3)
    box = np.array([[10, 10, 60, 90], [30, 5, 120, 95]], np.float32)
    kps, scores = pose_estimator(frames, box)
    for i, frame in enumerate(frames):
        (ref, ) = inference_topdown(pose_estimator.model, frame, box[i:i + 1])
        np.testing.assert_allclose(kps[i], ref.pred_instances.keypoints[0], atol=1e-3)
        np.testing.assert_allclose(scores[i], np.clip(ref.pred_instances.keypoint_scores[0],
                                                      0, None), rtol=1e-5, atol=1e-5)


def test_detector_config_errors():
    with pytest.raises(ValueError, match='no .*unicorn'):
        PersonDetector(DET_CONFIG, None, input_size=64, person_class='unicorn')
    with pytest.raises(ValueError, match='input size'):
        PersonDetector(DET_CONFIG, None, input_size=(64, 0))
    with pytest.raises(FileNotFoundError, match='no_such_config'):
        resolve_model_config('no_such_config', 'mmdet')
    path = resolve_model_config('rtmdet_tiny_8xb32-300e_coco', 'mmdet')
    assert path == resolve_model_config(DET_CONFIG)
    assert zoo_checkpoint_url(path).endswith('.pth') and 'rtmdet_tiny' in zoo_checkpoint_url(path)


def test_pose_estimator_outputs_133_points_in_each_box(pose_estimator):
    frames = moving_square_frames(3, (96, 128))
    boxes = np.array([[10, 10, 60, 90], [0, 0, 0, 0], [30, 5, 120, 95]], np.float32)
    kps, scores = pose_estimator(frames, boxes)
    assert kps.shape == (3, 133, 2) and scores.shape == (3, 133)
    assert kps.dtype == np.float32 and (scores >= 0).all()
    assert not kps[1].any() and not scores[1].any()  # no box: not run
    # keypoints come back in frame pixels, around the box (mmpose decodes into the box)
    assert (kps[0, :, 0] > -60).all() and (kps[0, :, 0] < 120).all()
    with pytest.raises(ValueError, match='3 frames but 2 boxes'):
        pose_estimator(frames, boxes[:2])


def test_pose_model_must_be_whole_body():
    with pytest.raises(ValueError, match='predicts 17 keypoints.*133'):
        WholeBodyPoseEstimator('rtmpose-t_8xb256-420e_coco-256x192')


def test_video_preprocessor_cached_and_redecoded_frames_agree(tmp_path, detector,
                                                              pose_estimator):
    video = str(write_video(tmp_path / 'v.mp4', moving_square_frames(5, (64, 64))))
    parts = KeypointPartMaps(grid_size=8)
    cached = VideoPreprocessor(detector, pose_estimator, parts, batch_size=2).process(video)
    redecoded = VideoPreprocessor(detector, pose_estimator, parts, batch_size=2,
                                  frame_cache_mb=0).process(video)
    for key in ('keypoints', 'keypoint_scores', 'person_bboxes', 'part_maps'):
        np.testing.assert_array_equal(getattr(cached, key), getattr(redecoded, key))
    assert cached.meta['total_frames'] == 5 and cached.meta['person_source'] == 'detector'
    assert cached.part_maps.shape == (5, 7, 8, 8)
    assert set(cached.timings) == {'decode', 'detect', 'track', 'pose', 'part_maps'}
    path = cached.save(str(tmp_path / 'out' / 'v.npz'))
    assert np.load(path)['part_map_source'] == 'keypoints'


def test_video_preprocessor_no_person(tmp_path, pose_estimator):
    video = str(write_video(tmp_path / 'v.mp4', moving_square_frames(3, (64, 64))))

    def nobody(frames):
        return [np.zeros((0, 5), np.float32) for _ in frames]

    nobody.score_thr = 0.5
    pre = VideoPreprocessor(nobody, pose_estimator, KeypointPartMaps(grid_size=8))
    with pytest.raises(NoPersonError, match=r'v.mp4: no person found in any of its 3 frames '
                       r'\(detector score threshold 0.5\)'):
        pre.process(video)
    with pytest.raises(ValueError, match='no_person'):
        VideoPreprocessor(nobody, pose_estimator, KeypointPartMaps(), no_person='ignore')
