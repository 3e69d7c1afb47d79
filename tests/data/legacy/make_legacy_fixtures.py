"""Writes the legacy annotation fixtures of this folder (run once, with the writer to freeze).

Run from a pristine copy of the commit to freeze, e.g. ``git archive <commit> | tar -x -C DIR``
and ``PYTHONPATH=DIR python tests/data/legacy/make_legacy_fixtures.py tests/data/legacy``. It uses
only the names that commit had (``signmae_mm.datasets.sign_annotation``), writes a format-2 file
with its writer, a format-1 file (dense ``part_maps``, as main wrote before format 2), an
annotation list, and ``expected.npz``: the arrays that commit's reader returned for each file.
"""
import sys

import numpy as np

from signmae_mm.datasets.sign_annotation import (PART_GROUPS, dump_annotation_list,
                                                 load_sign_annotation, save_sign_annotation)


def main(out: str) -> None:
    rng = np.random.default_rng(18)
    t, grid, img_shape = 5, (6, 8), (48, 64)
    kps = (rng.random((t, 133, 2)) * [64, 48]).astype(np.float32)
    scores = rng.random((t, 133)).astype(np.float32)
    scores[1, :5] = 0
    kps[1, 0] = np.nan  # an undetected point (score 0): allowed NaN coordinates
    boxes = np.tile(np.array([4, 2, 60, 46], np.float32), (t, 1))
    boxes[3] = 0  # a frame without a person
    maps = np.zeros((t, len(PART_GROUPS)) + grid, np.uint8)
    cells = rng.random(maps.shape) < 0.1
    maps[cells] = rng.integers(1, 256, int(cells.sum()), dtype=np.uint8)
    maps[2] = 0
    v2 = save_sign_annotation(f'{out}/sign_ann_v2.npz', kps, scores, boxes, maps, img_shape,
                              part_map_source='keypoints')
    # format 1: the same members with dense part maps and format_version 1
    with np.load(v2) as npz:
        old = {k: npz[k] for k in npz.files if not k.startswith('part_maps')}
    old.update(part_maps=maps, format_version=np.asarray(1, np.int64))
    np.savez_compressed(f'{out}/sign_ann_v1.npz', **old)
    dump_annotation_list(f'{out}/annotation_list.json', [
        dict(filename='videos/a.mp4', label=0, sign_ann='sign_ann_v2.npz', total_frames=t,
             img_shape=list(img_shape)),
        dict(filename='videos/b.mp4', label=1, sign_ann='sign_ann_v1.npz', total_frames=t,
             img_shape=list(img_shape), frame_range=[1, 4]),
    ], metainfo=dict(classes=['hello', 'thanks']))
    expected = {}
    for name in ('v1', 'v2'):
        ann = load_sign_annotation(f'{out}/sign_ann_{name}.npz')
        for key, value in ann.items():
            expected[f'{name}/{key}'] = np.asarray(value)
    np.savez_compressed(f'{out}/expected.npz', **expected)


if __name__ == '__main__':
    main(sys.argv[1])
