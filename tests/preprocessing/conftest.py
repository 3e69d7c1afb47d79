"""Fixtures of the preprocessing tests: real mmdet / mmpose models built from their shipped
configs with random weights, and small real videos."""
from pathlib import Path
from typing import Any, Dict

import pytest
import torch

DET_CONFIG = 'mmdet::rtmdet/rtmdet_tiny_8xb32-300e_coco.py'
POSE_CONFIG = ('mmpose::wholebody_2d_keypoint/rtmpose/coco-wholebody/'
               'rtmpose-m_8xb64-270e_coco-wholebody-256x192.py')
# small inputs keep the tests fast on 2 CPU cores: RTMDet at 128 px, no flip test for RTMPose
DET_INPUT_SIZE = 128
POSE_CFG_OPTIONS = {'model.test_cfg.flip_test': False}
PERSON_BIAS = 6.0


def _bias_towards_person(detector) -> None:
    """Raise the person logit of a random-weight RTMDet so that it finds (random) people.

    A random detector's top class per anchor is arbitrary, so it usually finds no person;
    with this bias every anchor scores ~1 for "person" and the whole detection -> tracking ->
    pose path runs on real (if meaningless) boxes.
    """
    with torch.no_grad():
        for conv in detector.model.bbox_head.rtm_cls:
            conv.bias[detector.person_label] += PERSON_BIAS


@pytest.fixture(scope='session')
def detector():
    """RTMDet-tiny, random weights biased towards "person", 128-px input."""
    from signmae_mm.preprocessing import PersonDetector
    torch.manual_seed(0)
    det = PersonDetector(DET_CONFIG, None, input_size=DET_INPUT_SIZE)
    _bias_towards_person(det)
    return det


@pytest.fixture(scope='session')
def pose_estimator():
    """RTMPose-m whole-body (133 points), random weights, no flip test."""
    from signmae_mm.preprocessing import WholeBodyPoseEstimator
    torch.manual_seed(0)
    return WholeBodyPoseEstimator(POSE_CONFIG, None, cfg_options=POSE_CFG_OPTIONS)


@pytest.fixture(scope='session')
def det_checkpoint(tmp_path_factory, detector) -> Path:
    """The person-biased random RTMDet-tiny saved as an mmengine-style checkpoint file."""
    path = tmp_path_factory.mktemp('ckpt') / 'rtmdet_tiny_person_biased.pth'
    torch.save(dict(state_dict=detector.model.state_dict(),
                    meta=dict(dataset_meta=dict(classes=list(
                        detector.model.dataset_meta['classes'])))), path)
    return path


@pytest.fixture(scope='session')
def model_options(det_checkpoint) -> Dict[str, Any]:
    """The test models as options of ``build_pose_source`` (``source``), the part-map grid
    and the batch size; ``argv``: the same as arguments of ``tools/preprocess.py``."""
    return dict(
        source=dict(det_config=DET_CONFIG, det_checkpoint=str(det_checkpoint),
                    det_input_size=DET_INPUT_SIZE, pose_config=POSE_CONFIG,
                    pose_cfg_options=POSE_CFG_OPTIONS),
        grid_size=16, batch_size=4,
        argv=['--det-config', DET_CONFIG, '--det-checkpoint', str(det_checkpoint),
              '--det-input-size', str(DET_INPUT_SIZE), '--pose-config', POSE_CONFIG,
              '--random-weights', '--pose-cfg-options', 'model.test_cfg.flip_test=False',
              '--grid-size', '16', '--batch-size', '4'])
