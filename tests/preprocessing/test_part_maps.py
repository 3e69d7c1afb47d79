"""Part maps from keypoints (hulls and thick limbs) and from a Sapiens-like TorchScript model
(crop, normalisation, logits resized back, class grouping)."""
import numpy as np
import pytest
import torch
from _toy_sapiens import frames_from_labels, save_toy_sapiens

from signmae_mm.preprocessing import (KeypointPartMaps, SapiensPartMaps, build_part_map_source,
                                      load_segmentation_model)
from signmae_mm.structures import (PART_GROUP_SAPIENS_CLASSES, PART_GROUPS, SAPIENS_CLASSES,
                                   part_maps_from_label_map)

CLS = {name: i for i, name in enumerate(SAPIENS_CLASSES)}
G = {name: i for i, name in enumerate(PART_GROUPS)}


# --------------------------------------------------------------------------- keypoints
def signer_keypoints(scale: float = 1.0, hand_score: float = 1.0):
    """A facing signer: shoulders 32 px apart (x scale), arms down, hands below the wrists.

    The signer's left is on the image's right. Returns keypoints (133, 2), scores (133, ),
    box (4, )."""
    kps = np.zeros((133, 2), np.float32)
    scores = np.zeros(133, np.float32)
    pts = {5: (80, 40), 6: (48, 40), 7: (92, 70), 8: (36, 70), 9: (92, 100), 10: (36, 100)}
    for k, p in pts.items():
        kps[k], scores[k] = p, 1
    angle = np.linspace(0, 2 * np.pi, 21)
    ring = np.stack([np.cos(angle), np.sin(angle)], 1) * 6
    kps[91:112], scores[91:112] = ring + (92, 110), hand_score
    kps[112:133], scores[112:133] = ring + (36, 110), hand_score
    return kps * scale, scores, np.array([20, 20, 108, 128], np.float32) * scale


def test_keypoint_parts_are_drawn_where_the_limbs_are():
    src = KeypointPartMaps(grid_size=16)  # 128 px frame, 16 x 8 canvas: 1 canvas px = 1 px
    kps, scores, box = signer_keypoints()
    lab = src.label_maps(None, (128, 128), kps[None], scores[None], box[None])[0]
    at = lambda x, y: lab[y, x]  # noqa: E731
    assert at(92, 110) == CLS['Left_Hand'] and at(36, 110) == CLS['Right_Hand']
    assert at(92, 100) == CLS['Left_Hand']  # the wrist: hands are painted over the forearm
    assert at(92, 85) == CLS['Left_Lower_Arm'] and at(36, 85) == CLS['Right_Lower_Arm']
    assert at(86, 55) == CLS['Left_Upper_Arm'] and at(42, 55) == CLS['Right_Upper_Arm']
    assert at(64, 64) == 0 and at(5, 5) == 0  # between the arms, far away
    maps = src(None, (128, 128), kps[None], scores[None], box[None])
    assert maps.shape == (1, len(PART_GROUPS), 16, 16) and maps.dtype == np.uint8
    assert maps[0, G['left_hand'], 110 // 8, 92 // 8] > 0
    assert maps[0, G['face']].max() == 0  # no face points detected


def test_undetected_points_and_frames_without_a_person_draw_nothing():
    src = KeypointPartMaps(grid_size=16, kpt_thr=0.3)
    kps, scores, box = signer_keypoints(hand_score=0.1)
    maps = src(None, (128, 128), np.stack([kps, kps]), np.stack([scores, scores]),
               np.stack([box, np.zeros(4, np.float32)]))
    assert maps[0, G['left_hand']].max() == 0 and maps[0, G['left_lower_arm']].max() > 0
    assert maps[1].max() == 0  # zero box = no person in that frame


def test_limb_width_follows_body_size_in_any_grid_aspect():
    src = KeypointPartMaps(grid_size=(16, 16), forearm_width=0.22)
    # a 96 x 128 (h x w) frame on a square grid: cells are 6 x 8 px
    kps = np.zeros((133, 2), np.float32)
    scores = np.zeros(133, np.float32)
    for k, p in {5: (96, 10), 6: (32, 10), 7: (64, 20), 9: (64 + 36, 20 + 48)}.items():
        kps[k], scores[k] = p, 1
    box = np.array([0, 0, 128, 160], np.float32)  # clamp range 24..96 px: shoulders (64) rule
    maps = src(None, (96, 128), kps[None], scores[None], box[None])
    area = maps[0, G['left_lower_arm']].astype(float).sum() / 255 * 6 * 8
    r, length = 0.22 * 64 / 2, 60.0  # capsule: radius r around a 60 px segment
    assert area == pytest.approx(2 * r * length + np.pi * r**2, rel=0.1)
    # everything twice as large: 4x the area
    big = src(None, (192, 256), (kps * 2)[None], scores[None], (box * 2)[None])
    area_big = big[0, G['left_lower_arm']].astype(float).sum() / 255 * 12 * 16
    assert area_big / area == pytest.approx(4, rel=0.1)


# ----------------------------------------------------------------------------- Sapiens
def class_layout(h: int = 96, w: int = 128) -> np.ndarray:
    """A class map with blocks on even pixel boundaries (exact under 2x up-sampling)."""
    lab = np.zeros((h, w), np.int64)
    lab[8:40, 40:88] = CLS['Face_Neck']
    lab[30:40, 56:72] = CLS['Lower_Lip']  # also "face"
    lab[40:96, 32:96] = CLS['Torso']  # in no part group
    lab[48:64, 16:32] = CLS['Left_Upper_Arm']
    lab[64:80, 96:112] = CLS['Right_Lower_Arm']
    lab[80:92, 4:20] = CLS['Left_Hand']
    lab[80:92, 104:124] = CLS['Right_Hand']
    return lab


@pytest.fixture(scope='module')
def toy_model(tmp_path_factory):
    return save_toy_sapiens(tmp_path_factory.mktemp('sapiens') / 'toy_sapiens.pt')


def test_sapiens_classes_are_grouped_like_the_annotation_format(toy_model):
    lab = class_layout()
    src = SapiensPartMaps(str(toy_model), grid_size=(8, 8), input_size=(96, 128))
    maps = src(frames_from_labels(lab[None]), (96, 128), None, None, np.zeros((1, 4)))
    np.testing.assert_array_equal(maps, part_maps_from_label_map(lab[None], (8, 8)))
    # the grouping itself: both face classes in "face", torso nowhere, hands apart
    label = src.label_maps(frames_from_labels(lab[None]), (96, 128), None, None,
                           np.zeros((1, 4)))[0]
    np.testing.assert_array_equal(label, lab)
    face = maps[0, G['face']].astype(int)
    assert set(PART_GROUP_SAPIENS_CLASSES['face']) >= {CLS['Face_Neck'], CLS['Lower_Lip']}
    assert face.sum() == pytest.approx((32 * 48) / (12 * 16) * 255, abs=8)
    torso_only = (lab == CLS['Torso'])[84:96, 48:80].all()  # cells (7, 3..4) are torso only
    assert torso_only and maps[0, :, 7, 3:5].max() == 0
    assert maps[0, G['left_hand']].sum() > 0 and maps[0, G['right_hand']].sum() > 0


def test_sapiens_runs_on_the_signer_crop_and_pastes_back(toy_model):
    lab = class_layout()
    frames = frames_from_labels(lab[None])
    # a box with the model's 3:4 (w:h) aspect and no padding: the crop is the box exactly
    src = SapiensPartMaps(str(toy_model), grid_size=(8, 8), input_size=(64, 48),
                          bbox_padding=1.0)
    box = np.array([[16, 32, 64, 96]], np.float32)
    assert src.crop_box(box[0], (96, 128)) == (16, 32, 64, 96)
    inside = np.zeros_like(lab)
    inside[32:96, 16:64] = lab[32:96, 16:64]  # outside the crop: background
    np.testing.assert_array_equal(src.label_maps(frames, (96, 128), None, None, box)[0], inside)
    # a real resize (crop 64 x 48 -> 32 x 24 input): logits resized back, borders blur a bit
    small = SapiensPartMaps(str(toy_model), grid_size=(8, 8), input_size=(32, 24),
                            bbox_padding=1.0)
    maps = small(frames, (96, 128), None, None, box)
    expected = part_maps_from_label_map(inside[None], (8, 8))
    assert np.abs(maps.astype(int) - expected).mean() < 8


def test_sapiens_model_errors_name_the_file(tmp_path, toy_model):
    bad = tmp_path / 'not_a_model.pt2'
    bad.write_bytes(b'not a model')
    with pytest.raises(RuntimeError, match='not_a_model.pt2.*TorchScript'):
        load_segmentation_model(str(bad))
    with pytest.raises(FileNotFoundError, match='missing.pt'):
        load_segmentation_model(str(tmp_path / 'missing.pt'))
    wrong = save_toy_sapiens(tmp_path / 'twenty.pt', num_classes=20)
    src = SapiensPartMaps(str(wrong), grid_size=4, input_size=(32, 24))
    with pytest.raises(RuntimeError, match=r'twenty.pt returned \(1, 20, 16, 12\).*28'):
        src(np.zeros((1, 32, 24, 3), np.uint8), (32, 24), None, None, np.zeros((1, 4)))


def test_exported_program_files_load_too(tmp_path):
    from _toy_sapiens import ToySapiens
    x = torch.zeros(2, 3, 32, 24)
    batch = torch.export.Dim('batch', min=1, max=64)
    program = torch.export.export(ToySapiens(), (x, ), dynamic_shapes=({0: batch}, ))
    torch.export.save(program, str(tmp_path / 'toy.pt2'))
    src = SapiensPartMaps(str(tmp_path / 'toy.pt2'), grid_size=4, input_size=(32, 24))
    lab = np.zeros((1, 32, 24), np.int64)
    lab[:, 8:24, 4:20] = CLS['Left_Hand']
    maps = src(frames_from_labels(lab), (32, 24), None, None, np.zeros((1, 4)))
    np.testing.assert_array_equal(maps, part_maps_from_label_map(lab, (4, 4)))


def test_build_part_map_source(toy_model):
    assert build_part_map_source('auto').name == 'keypoints'
    assert build_part_map_source('auto', str(toy_model)).name == 'sapiens'
    with pytest.raises(ValueError, match='--sapiens'):
        build_part_map_source('sapiens')
    with pytest.raises(ValueError, match='drop one'):
        build_part_map_source('keypoints', str(toy_model))
