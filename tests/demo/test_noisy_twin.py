"""write_noisy_annotations: the noisy twin of a demo set's annotations holds exactly the
keypoints that the set written with keypoint noise holds; part maps and boxes stay exact."""
import json
import os.path as osp

import numpy as np

from signmae_mm.demo import KeypointNoise, write_demo_dataset, write_noisy_annotations
from signmae_mm.structures import load_sign_annotation


def test_twin_equals_the_set_written_with_noise(tmp_path):
    kwargs = dict(num_classes=2, videos_per_class=3, num_frames=16, size=64, seed=3)
    exact = write_demo_dataset(str(tmp_path / 'exact'), **kwargs)
    noisy = write_demo_dataset(str(tmp_path / 'noisy'), keypoint_noise=KeypointNoise(), **kwargs)
    folder = write_noisy_annotations(exact.root)
    assert folder == osp.join(exact.root, 'sign_ann_noisy')
    with open(exact.ann_files['test']) as f:
        entries = json.load(f)['data_list']
    changed = 0
    for e in entries:
        twin = load_sign_annotation(osp.join(folder, e['sign_ann']))
        ref = load_sign_annotation(osp.join(noisy.sign_ann_prefix, e['sign_ann']))
        orig = load_sign_annotation(osp.join(exact.sign_ann_prefix, e['sign_ann']))
        for key in ('keypoints', 'keypoint_scores'):
            np.testing.assert_array_equal(twin[key], ref[key])
        for key in ('part_maps', 'person_bboxes'):
            np.testing.assert_array_equal(twin[key], orig[key])
        changed += not np.array_equal(twin['keypoints'], orig['keypoints'])
    assert changed == len(entries)
    # done once: a second call keeps the files; a set noisy already is its own twin
    mtime = osp.getmtime(osp.join(folder, entries[0]['sign_ann']))
    assert write_noisy_annotations(exact.root) == folder
    assert osp.getmtime(osp.join(folder, entries[0]['sign_ann'])) == mtime
    assert write_noisy_annotations(noisy.root) == noisy.sign_ann_prefix
