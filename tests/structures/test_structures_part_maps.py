"""Part maps: from Sapiens label maps, stored sparse, read back dense (and checked)."""
import numpy as np
import pytest

from signmae_mm.structures import (PART_GROUPS, SignAnnotationError, dense_part_maps,
                                   load_sign_annotation, part_maps_from_label_map,
                                   save_sign_annotation, sparse_part_maps)


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



def test_sparse_and_dense_are_inverse():
    rng = np.random.default_rng(1)
    maps = (rng.random((3, 7, 5, 4)) < 0.2) * rng.integers(1, 256, (3, 7, 5, 4))
    maps = maps.astype(np.uint8)
    sparse = sparse_part_maps(maps)
    assert sparse['part_maps_frame_offsets'].tolist()[-1] == int((maps > 0).sum())
    np.testing.assert_array_equal(dense_part_maps(sparse, 'x'), maps)
    with pytest.raises(SignAnnotationError,
                       match=r"x: sparse part maps lack \['part_maps_cells'\]"):
        dense_part_maps({k: v for k, v in sparse.items() if k != 'part_maps_cells'}, 'x')


@pytest.mark.parametrize('change,message', [
    (lambda a: a.update(part_maps_frame_offsets=a['part_maps_frame_offsets'][:-1]),
     'inconsistent'),
    (lambda a: a.update(part_maps_cells=(a['part_maps_cells'] + 7 * 32 * 32).astype(np.uint32)),
     'index cell'),
    (lambda a: a.pop('part_maps_values'), r"lack \['part_maps_values'\]"),
    (lambda a: a.update(part_maps_shape=np.array([12, 7, 32], np.int64)), '4 positive ints'),
])
def test_broken_sparse_part_maps_name_the_file(tmp_path, change, message, make_arrays):
    arrays = make_arrays(t=12, grid=(32, 32))
    arrays['part_maps'][:, 0, :4, :4] = 255
    path = save_sign_annotation(str(tmp_path / 'v.npz'), **arrays)
    with np.load(path) as npz:
        members = {k: npz[k] for k in npz.files}
    change(members)
    np.savez_compressed(path, **members)
    with pytest.raises(SignAnnotationError, match=f'v.npz: .*{message}'):
        load_sign_annotation(path)

