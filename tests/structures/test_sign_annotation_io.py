"""Writing and reading one video's sign annotation ``.npz``, including files of older mains."""
from pathlib import Path

import numpy as np
import pytest

from signmae_mm.structures import (PART_GROUPS, SignAnnotationError, load_sign_annotation,
                                   save_sign_annotation)

LEGACY = Path(__file__).parents[1] / 'data' / 'legacy'


def test_save_load_roundtrip(tmp_path, make_arrays):
    arrays = make_arrays()
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



def test_nonfinite_keypoints_and_video_mismatch(tmp_path, make_arrays):
    arrays = make_arrays()
    arrays['keypoint_scores'][2, 100] = np.nan
    path = save_sign_annotation(str(tmp_path / 'nan.npz'), **arrays)  # stored as given
    with pytest.raises(SignAnnotationError, match=r'nan.npz: 1 keypoint scores are NaN/inf '
                       r'\(first in frame 2\)'):
        load_sign_annotation(path)
    assert np.isnan(load_sign_annotation(path, allow_nonfinite=True)['keypoint_scores'][2, 100])
    arrays = make_arrays()
    arrays['keypoints'][1, 3] = np.nan  # score 1: a detected point without coordinates
    path = save_sign_annotation(str(tmp_path / 'nan2.npz'), **arrays)
    with pytest.raises(SignAnnotationError, match='positive score have NaN/inf coordinates'):
        load_sign_annotation(path)
    arrays['keypoint_scores'][1, 3] = 0  # an undetected point may have NaN coordinates
    load_sign_annotation(save_sign_annotation(str(tmp_path / 'ok.npz'), **arrays))
    path = save_sign_annotation(str(tmp_path / 'v.npz'), **make_arrays())
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



def test_part_maps_are_stored_sparse_and_load_dense(tmp_path, make_arrays):
    rng = np.random.default_rng(0)
    arrays = make_arrays(t=12, grid=(32, 32))
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


@pytest.mark.parametrize('name', ['v1', 'v2'])
def test_files_written_by_an_older_main_load_the_same(name):
    """Format 1 and 2 files written by main before ``signmae_mm.structures`` (see
    ``tests/data/legacy/README.md``) give the arrays that main's reader gave."""
    ann = load_sign_annotation(str(LEGACY / f'sign_ann_{name}.npz'))
    with np.load(LEGACY / 'expected.npz') as npz:
        expected = {k.split('/', 1)[1]: npz[k] for k in npz.files if k.startswith(f'{name}/')}
    assert set(ann) == set(expected)
    assert ann['img_shape'] == tuple(expected.pop('img_shape').tolist()) == (48, 64)
    for key, value in expected.items():
        assert ann[key].dtype == value.dtype, key
        np.testing.assert_array_equal(ann[key], value, err_msg=key)
    assert int(ann['format_version']) == int(name[1])
    assert ann['part_maps'].any() and not ann['part_maps'][2].any()


@pytest.mark.parametrize('name', ['v1', 'v2'])
def test_reading_a_clips_frames_equals_slicing_the_whole_video(name, tmp_path, make_arrays):
    """``frames=``: a clip's frames (any order, repeats) read out of format 1 and 2 files."""
    legacy = str(LEGACY / f'sign_ann_{name}.npz')
    whole = load_sign_annotation(legacy, allow_nonfinite=True)
    num = whole['keypoints'].shape[0]
    frames = np.array([num - 1, 0, 0, num // 2, 1])
    clip = load_sign_annotation(legacy, allow_nonfinite=True, frames=frames)
    for key in ('keypoints', 'keypoint_scores', 'person_bboxes', 'part_maps'):
        np.testing.assert_array_equal(clip[key], whole[key][frames])
    assert clip['img_shape'] == whole['img_shape']

    # non-finite values are checked in the frames read, the frame count on the whole file
    arrays = make_arrays(t=6)
    arrays['keypoint_scores'][4, 7] = np.nan
    path = save_sign_annotation(str(tmp_path / 'nan.npz'), **arrays)
    load_sign_annotation(path, frames=[0, 1, 2])
    with pytest.raises(SignAnnotationError, match=r'NaN/inf \(first in frame 1\)'):
        load_sign_annotation(path, frames=[0, 4])  # frame 1 of the clip
    with pytest.raises(SignAnnotationError, match='the annotation has 6 frames, the video has 7'):
        load_sign_annotation(path, total_frames=7, frames=[0])
    with pytest.raises(SignAnnotationError, match=r"nan.npz: frame indices 2..6 outside the "
                       r"annotation's 6 frames"):
        load_sign_annotation(path, frames=[2, 6])


def test_part_maps_of_another_length_fail_when_reading_frames(tmp_path, make_arrays):
    arrays = make_arrays(t=6)
    path = save_sign_annotation(str(tmp_path / 'v.npz'), **arrays)
    with np.load(path) as npz:
        members = {k: npz[k] for k in npz.files}
    short = dict(members, keypoints=members['keypoints'][:5],
                 keypoint_scores=members['keypoint_scores'][:5],
                 person_bboxes=members['person_bboxes'][:5])
    np.savez_compressed(tmp_path / 'short.npz', **short)
    with pytest.raises(SignAnnotationError, match='short.npz: part_maps has 6 frames, the '
                       'keypoints 5'):
        load_sign_annotation(str(tmp_path / 'short.npz'), frames=[0, 1])


def test_zip_reader_checks_crcs_and_leaves_unusual_archives_to_zipfile(tmp_path, make_arrays):
    import zipfile
    path = save_sign_annotation(str(tmp_path / 'v.npz'), **make_arrays())
    raw = bytearray((tmp_path / 'v.npz').read_bytes())
    # flip a byte inside the first member's compressed data
    with zipfile.ZipFile(path) as zf:
        info = zf.infolist()[0]
    raw[info.header_offset + 30 + len(info.filename) + 40] ^= 0xFF
    (tmp_path / 'bad.npz').write_bytes(bytes(raw))
    with pytest.raises(SignAnnotationError, match='cannot read sign annotation .*bad.npz'):
        load_sign_annotation(str(tmp_path / 'bad.npz'))
    # an archive with a comment (not what np.savez writes) goes through zipfile, same arrays
    commented = str(tmp_path / 'commented.npz')
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(commented, 'w') as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item))
        dst.comment = b'kept by a user'
    a, b = load_sign_annotation(path), load_sign_annotation(commented)
    for key in ('keypoints', 'part_maps', 'img_shape'):
        np.testing.assert_array_equal(a[key], b[key])
