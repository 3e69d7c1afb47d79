"""The geometry recorded by mmaction2's transforms, and the pooling matrices built from it."""
import numpy as np
import pytest
from _sign_clips import build_pipeline

from signmae_mm.datasets.transforms import (ClipGeometry, cell_overlap_matrices, get_clip_geometry,
                                            map_part_maps)


def test_matrices_are_exact_area_fractions():
    geom = ClipGeometry((0.25, 0.0, 0.5, 1.0), (8, 6), False, False)
    ay, ax = cell_overlap_matrices(geom, (4, 4), (2, 3))
    assert ay.shape == (4, 4) and ax.shape == (2, 4)
    np.testing.assert_allclose(ay, np.eye(4), atol=1e-6)  # 2-pixel rows on a 4-row grid
    # the crop spans grid columns 1..3; each 3-pixel final column covers one grid column
    np.testing.assert_allclose(ax, [[0, 1, 0, 0], [0, 0, 1, 0]], atol=1e-6)
    flipped = cell_overlap_matrices(geom._replace(flip_h=True), (4, 4), (2, 3))[1]
    np.testing.assert_allclose(flipped, ax[::-1], atol=1e-6)
    # an unaligned crop: fractions of cells, rows sum to 1
    geom = ClipGeometry((0.1, 0.3, 0.55, 0.6), (224, 224), True, True)
    ay, ax = cell_overlap_matrices(geom, (32, 24), (16, 16))
    np.testing.assert_allclose(ay.sum(1), 1, atol=1e-5)
    np.testing.assert_allclose(ax.sum(1), 1, atol=1e-5)
    assert (ay >= 0).all() and (ax >= 0).all()
    # a map with one covered grid cell: the covered area is preserved by per-pixel pooling
    maps = np.zeros((1, 32, 24), np.uint8)
    maps[0, 15, 10] = 255
    per_pixel = map_part_maps(maps, geom)
    cell_area_px = (224 / (0.6 * 32)) * (224 / (0.55 * 24))
    assert per_pixel.sum() == pytest.approx(cell_area_px, rel=1e-3)


def test_geometry_from_mmaction_transforms():
    imgs = [np.zeros((60, 80, 3), np.uint8)] * 4
    results = build_pipeline([
        dict(type='Resize', scale=(-1, 120)),
        dict(type='CenterCrop', crop_size=(120, 90)),
        dict(type='CenterCrop', crop_size=60),
        dict(type='Resize', scale=(30, 30), keep_ratio=False),
        dict(type='Flip', flip_ratio=1.0),
    ])(dict(imgs=imgs, modality='RGB', img_shape=(60, 80)))
    geom = get_clip_geometry(results)
    # 160x120 after the resize; crops 120x90 then 60x60 around the centre: x 50..110 of 160
    np.testing.assert_allclose(geom.crop, (50 / 160, 30 / 120, 60 / 160, 60 / 120))
    assert geom.out_hw == (30, 30) and geom.flip_h and not geom.flip_v
    with pytest.raises(ValueError, match='v.mp4: multi-crop'):
        get_clip_geometry(dict(filename='v.mp4', img_shape=(8, 8), crop_bbox=np.zeros((3, 4))))
    with pytest.raises(KeyError, match='v.mp4: results have no "img_shape"'):
        get_clip_geometry(dict(filename='v.mp4'))
