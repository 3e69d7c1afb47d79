"""Building a run's two plugs from the options of tools/preprocess.py."""
import pytest
from _toy_sapiens import save_toy_sapiens

from signmae_mm.preprocessing import (POSE_BACKENDS, KeypointPartMaps, SapiensPartMaps,
                                      SilhouetteKeypointPartMaps, build_part_maps,
                                      build_pose_source, check_checkpoints)


def test_part_maps_follow_the_backend_and_the_sapiens_file(tmp_path):
    plain = build_part_maps(grid_size=16, kpt_thr=0.4)
    assert type(plain) is KeypointPartMaps and plain.grid_size == (16, 16)
    assert plain.kpt_thr == 0.4
    trimmed = build_part_maps(grid_size=(8, 12), silhouette=True)
    assert type(trimmed) is SilhouetteKeypointPartMaps and trimmed.grid_size == (8, 12)
    assert trimmed.extra_inputs == ('silhouettes', )
    # asked for plain keypoint maps, the MediaPipe backend gets them untrimmed
    assert type(build_part_maps('keypoints', silhouette=True)) is KeypointPartMaps
    model = str(save_toy_sapiens(tmp_path / 'toy.pt'))
    for silhouette in (False, True):  # a Sapiens file wins over 'auto' on either backend
        sapiens = build_part_maps(sapiens=model, silhouette=silhouette,
                                  sapiens_input_size=(64, 48), batch_size=3)
        assert type(sapiens) is SapiensPartMaps and sapiens.input_size == (64, 48)
        assert sapiens.batch_size == 3 and sapiens.model_path == model
    with pytest.raises(ValueError, match='drop one of them'):
        build_part_maps('keypoints', sapiens=model)
    with pytest.raises(ValueError, match='--sapiens PATH'):
        build_part_maps('sapiens')


def test_pose_source_and_checkpoint_rules(tmp_path):
    assert POSE_BACKENDS == ('mmpose', 'mediapipe')
    with pytest.raises(ValueError, match='pose backend must be one of'):
        build_pose_source('openpose')
    # random weights allowed: nothing to check; a named checkpoint must exist
    check_checkpoints('det.py', None, 'pose.py', None, random_weights=True)
    with pytest.raises(ValueError, match=r'--pose-checkpoint .*nope.pth does not exist'):
        check_checkpoints('det.py', None, 'pose.py', str(tmp_path / 'nope.pth'),
                          random_weights=True)


@pytest.mark.requires('full_stack')
def test_missing_checkpoint_names_the_zoo_weights():
    with pytest.raises(ValueError, match=r'--det-checkpoint is required.*rtmdet_tiny.*\.pth'):
        check_checkpoints('rtmdet_tiny_8xb32-300e_coco', None, 'pose.py', None)


@pytest.mark.requires('mediapipe')
def test_mediapipe_source_takes_its_thresholds():
    with build_pose_source('mediapipe', mp_min_detection_confidence=0.6,
                           mp_min_tracking_confidence=0.7) as holistic:
        assert holistic.finds_person and holistic.person_source == 'mediapipe'
        assert holistic.options['min_detection_confidence'] == 0.6
        assert holistic.options['min_tracking_confidence'] == 0.7
        assert holistic.describe()['pose_backend'] == 'mediapipe'
