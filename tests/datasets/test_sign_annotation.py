"""The sign annotation format: part maps from label maps, save / load / validate, the list."""
import json

import numpy as np
import pytest

from signmae_mm.datasets import (PART_GROUP_SAPIENS_CLASSES, PART_GROUPS, SAPIENS_CLASSES,
                                 SignAnnotationError, load_annotation_list, load_sign_annotation,
                                 part_group_indices, part_maps_from_label_map, save_sign_annotation,
                                 validate_sign_annotation)


def _arrays(t=4, grid=(6, 8), img_shape=(48, 64)):
    return dict(
        keypoints=np.zeros((t, 133, 2), np.float32), keypoint_scores=np.ones((t, 133), np.float32),
        person_bboxes=np.zeros((t, 4), np.float32),
        part_maps=np.zeros((t, len(PART_GROUPS)) + grid, np.uint8), img_shape=img_shape)


def test_sapiens_class_list_and_groups():
    assert len(SAPIENS_CLASSES) == 28 and SAPIENS_CLASSES[5] == 'Left_Hand'
    assert SAPIENS_CLASSES[14] == 'Right_Hand' and SAPIENS_CLASSES[27] == 'Tongue'
    assert PART_GROUP_SAPIENS_CLASSES['left_lower_arm'] == (6, )
    assert PART_GROUP_SAPIENS_CLASSES['right_upper_arm'] == (19, )
    assert set(PART_GROUP_SAPIENS_CLASSES['face']) == {2, 23, 24, 25, 26, 27}
    assert part_group_indices(['Left_Hand', 'right_hand']) == [0, 1]
    with pytest.raises(ValueError, match='Unknown part group .torso.'):
        part_group_indices(['torso'])


def test_part_maps_from_label_map_are_area_fractions():
    labels = np.zeros((40, 60), np.int64)
    labels[0:10, 0:15] = 5  # exactly cell (0, 0) of a 4x4 grid (10x15-pixel cells)
    labels[10:15, 15:30] = 14  # top half of cell (1, 1)
    labels[30:40, 45:60] = 24  # Upper_Lip -> face, cell (3, 3)
    labels[20:30, 0:15] = 21  # Torso: in no group
    maps = part_maps_from_label_map(labels, (4, 4))
    assert maps.shape == (7, 4, 4) and maps.dtype == np.uint8
    lh, rh, face = (PART_GROUPS.index(g) for g in ('left_hand', 'right_hand', 'face'))
    assert maps[lh, 0, 0] == 255 and maps[lh].sum() == 255
    assert maps[rh, 1, 1] in (127, 128) and maps[rh].sum() == maps[rh, 1, 1]
    assert maps[face, 3, 3] == 255
    assert maps.sum() == 255 + maps[rh, 1, 1] + 255  # the torso counts nowhere
    assert part_maps_from_label_map(labels[None].repeat(3, 0), (4, 4)).shape == (3, 7, 4, 4)


def test_part_maps_of_frames_that_the_grid_does_not_divide():
    """720 x 1280 (or 256 x 340) on a 32 x 32 grid: cells of 22.5 x 40 (8 x 10.6) pixels; the
    area fractions are still exact (OpenCV's area resize of more than 4 channels needs a whole
    scale, so the groups are pooled 4 at a time)."""
    for h, w in ((720, 1280), (256, 340)):
        labels = np.zeros((h, w), np.int64)
        labels[:, : w // 2] = 5  # left hand: the left half of the frame
        maps = part_maps_from_label_map(labels, (32, 32))
        lh = PART_GROUPS.index('left_hand')
        assert maps.shape == (7, 32, 32)
        assert (maps[lh, :, :16] == 255).all() and (maps[lh, :, 16:] == 0).all()
        assert maps.sum() == maps[lh].sum()


def test_save_load_roundtrip(tmp_path):
    arrays = _arrays()
    arrays['part_maps'][1, 0, 2, 3] = 200
    path = save_sign_annotation(str(tmp_path / 'a' / 'v.npz'), **arrays, part_map_source='sapiens')
    ann = load_sign_annotation(path, total_frames=4, img_shape=(48, 64))
    assert ann['img_shape'] == (48, 64) and ann['part_maps'][1, 0, 2, 3] == 200
    assert str(ann['part_map_source']) == 'sapiens'
    assert tuple(ann['part_groups']) == PART_GROUPS
    assert not list(tmp_path.glob('a/.tmp_*'))  # written atomically, nothing left behind
    # float part maps are quantised
    arrays['part_maps'] = np.full((4, 7, 6, 8), 0.5, np.float32)
    ann = load_sign_annotation(save_sign_annotation(str(tmp_path / 'f.npz'), **arrays))
    assert ann['part_maps'].dtype == np.uint8 and (ann['part_maps'] == 128).all()


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
def test_validation_errors_name_the_source(change, message):
    ann = _arrays()
    ann['img_shape'] = np.array(ann['img_shape'])
    ann['part_groups'] = np.array(PART_GROUPS)
    if 'drop' in change:
        del ann[change['drop']]
    else:
        ann.update(change)
    with pytest.raises(SignAnnotationError, match='video_7.mp4: .*' + message):
        validate_sign_annotation(ann, source='video_7.mp4')


def test_nonfinite_keypoints_and_video_mismatch(tmp_path):
    arrays = _arrays()
    arrays['keypoint_scores'][2, 100] = np.nan
    path = save_sign_annotation(str(tmp_path / 'nan.npz'), **arrays)  # stored as given
    with pytest.raises(SignAnnotationError, match=r'nan.npz: 1 keypoint scores are NaN/inf '
                       r'\(first in frame 2\)'):
        load_sign_annotation(path)
    assert np.isnan(load_sign_annotation(path, allow_nonfinite=True)['keypoint_scores'][2, 100])
    arrays = _arrays()
    arrays['keypoints'][1, 3] = np.nan  # score 1: a detected point without coordinates
    path = save_sign_annotation(str(tmp_path / 'nan2.npz'), **arrays)
    with pytest.raises(SignAnnotationError, match='positive score have NaN/inf coordinates'):
        load_sign_annotation(path)
    arrays['keypoint_scores'][1, 3] = 0  # an undetected point may have NaN coordinates
    load_sign_annotation(save_sign_annotation(str(tmp_path / 'ok.npz'), **arrays))
    path = save_sign_annotation(str(tmp_path / 'v.npz'), **_arrays())
    with pytest.raises(SignAnnotationError, match='frame count mismatch: the annotation has 4 '
                       'frames, the video has 5'):
        load_sign_annotation(path, total_frames=5)
    with pytest.raises(SignAnnotationError, match=r'image size mismatch: the annotation is for '
                       r'\(48, 64\) \(h, w\) frames, the video has \(64, 48\)'):
        load_sign_annotation(path, img_shape=(64, 48))
    with pytest.raises(SignAnnotationError, match='missing.npz does not exist'):
        load_sign_annotation(str(tmp_path / 'missing.npz'))
    (tmp_path / 'broken.npz').write_bytes(b'not a zip')
    with pytest.raises(SignAnnotationError, match='cannot read sign annotation .*broken.npz'):
        load_sign_annotation(str(tmp_path / 'broken.npz'))


def test_part_maps_are_stored_sparse_and_load_dense(tmp_path):
    rng = np.random.default_rng(0)
    arrays = _arrays(t=12, grid=(32, 32))
    maps = arrays['part_maps']
    cells = rng.random(maps.shape) < 0.04  # a few percent covered, as a signer's parts
    maps[cells] = rng.integers(1, 256, int(cells.sum()), dtype=np.uint8)
    maps[5] = 0  # a frame with no part at all
    path = save_sign_annotation(str(tmp_path / 'v.npz'), **arrays)
    with np.load(path) as npz:
        assert 'part_maps' not in npz.files and int(npz['format_version']) == 2
        assert npz['part_maps_values'].size == int(cells.sum()) - int(cells[5].sum())
        assert npz['part_maps_cells'].dtype == np.uint16
    np.testing.assert_array_equal(load_sign_annotation(path)['part_maps'], maps)

    # every array as numpy reads it (the loader parses numpy's headers itself), also a
    # Fortran-ordered one (left to numpy)
    ann = load_sign_annotation(path)
    with np.load(path) as npz:
        for key in ('keypoints', 'keypoint_scores', 'person_bboxes', 'part_groups',
                    'part_map_source', 'format_version'):
            np.testing.assert_array_equal(ann[key], npz[key])
            assert ann[key].dtype == npz[key].dtype and ann[key].flags.writeable
        members = {k: npz[k] for k in npz.files}
    arrays['keypoints'][:] = rng.random(arrays['keypoints'].shape)
    np.savez_compressed(tmp_path / 'f.npz', **dict(
        members, keypoints=np.asfortranarray(arrays['keypoints'])))
    np.testing.assert_array_equal(load_sign_annotation(str(tmp_path / 'f.npz'))['keypoints'],
                                  arrays['keypoints'])

    # a format-1 file (dense part maps) still loads
    with np.load(path) as npz:
        old = {k: npz[k] for k in npz.files if not k.startswith('part_maps')}
    np.savez_compressed(tmp_path / 'v1.npz', **old, part_maps=maps)
    np.testing.assert_array_equal(load_sign_annotation(str(tmp_path / 'v1.npz'))['part_maps'],
                                  maps)


@pytest.mark.parametrize('change,message', [
    (lambda a: a.update(part_maps_frame_offsets=a['part_maps_frame_offsets'][:-1]),
     'inconsistent'),
    (lambda a: a.update(part_maps_cells=(a['part_maps_cells'] + 7 * 32 * 32).astype(np.uint32)),
     'index cell'),
    (lambda a: a.pop('part_maps_values'), r"lack \['part_maps_values'\]"),
    (lambda a: a.update(part_maps_shape=np.array([12, 7, 32], np.int64)), '4 positive ints'),
])
def test_broken_sparse_part_maps_name_the_file(tmp_path, change, message):
    arrays = _arrays(t=12, grid=(32, 32))
    arrays['part_maps'][:, 0, :4, :4] = 255
    path = save_sign_annotation(str(tmp_path / 'v.npz'), **arrays)
    with np.load(path) as npz:
        members = {k: npz[k] for k in npz.files}
    change(members)
    np.savez_compressed(path, **members)
    with pytest.raises(SignAnnotationError, match=f'v.npz: .*{message}'):
        load_sign_annotation(path)


def test_annotation_list_errors(tmp_path):
    with pytest.raises(SignAnnotationError, match='nope.json does not exist'):
        load_annotation_list(str(tmp_path / 'nope.json'))
    bad = tmp_path / 'bad.json'
    bad.write_text('[1, 2]')
    with pytest.raises(SignAnnotationError, match='bad.json must be a JSON object'):
        load_annotation_list(str(bad))
    bad.write_text(json.dumps(dict(metainfo=dict(part_groups=['a']), data_list=[])))
    with pytest.raises(SignAnnotationError, match='bad.json: part_groups'):
        load_annotation_list(str(bad))
