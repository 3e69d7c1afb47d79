"""The sign annotation format: constants, part groups and validation."""
import numpy as np
import pytest

from signmae_mm.structures import (PART_GROUP_SAPIENS_CLASSES, PART_GROUPS, SAPIENS_CLASSES,
                                   SignAnnotationError, part_group_indices,
                                   validate_sign_annotation)


def test_sapiens_class_list_and_groups():
    assert len(SAPIENS_CLASSES) == 28 and SAPIENS_CLASSES[5] == 'Left_Hand'
    assert SAPIENS_CLASSES[14] == 'Right_Hand' and SAPIENS_CLASSES[27] == 'Tongue'
    assert PART_GROUP_SAPIENS_CLASSES['left_lower_arm'] == (6, )
    assert PART_GROUP_SAPIENS_CLASSES['right_upper_arm'] == (19, )
    assert set(PART_GROUP_SAPIENS_CLASSES['face']) == {2, 23, 24, 25, 26, 27}
    assert part_group_indices(['Left_Hand', 'right_hand']) == [0, 1]
    with pytest.raises(ValueError, match='Unknown part group .torso.'):
        part_group_indices(['torso'])



@pytest.mark.parametrize('change, message', [
    (dict(drop='part_maps'), r"lacks \['part_maps'\]"),
    (dict(drop='keypoints'), r"lacks \['keypoints'\]"),
    (dict(keypoints=np.zeros((4, 17, 2), np.float32)), r'keypoints must have shape \(T, 133, 2\)'),
    (dict(keypoint_scores=np.zeros((3, 133), np.float32)), r'keypoint_scores must have shape'),
    (dict(part_maps=np.zeros((4, 6, 6, 8), np.uint8)), r'part_maps must have shape \(4, 7'),
    (dict(part_maps=np.zeros((4, 7, 6, 8), np.float16)), 'part_maps must be uint8'),
    (dict(img_shape=np.array([48])), r'img_shape must be \(height, width\)'),
    (dict(part_groups=np.array(list(PART_GROUPS)[::-1])), 'part groups'),
])
def test_validation_errors_name_the_source(change, message, make_arrays):
    ann = make_arrays()
    ann['img_shape'] = np.array(ann['img_shape'])
    ann['part_groups'] = np.array(PART_GROUPS)
    if 'drop' in change:
        del ann[change['drop']]
    else:
        ann.update(change)
    with pytest.raises(SignAnnotationError, match='video_7.mp4: .*' + message):
        validate_sign_annotation(ann, source='video_7.mp4')

