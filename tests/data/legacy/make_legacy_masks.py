"""Writes ``hand_arm_masks.npz``: masks of the mask transforms as the main of the day draws them.

``tests/datasets/test_masking.py`` replays the same clips and seeds with today's package and
requires the same masks, bit for bit (seeded runs are compared across versions). Run against a
pristine copy of the commit to freeze (see ``README.md``)::

    PYTHONPATH=/tmp/before python tests/data/legacy/make_legacy_masks.py tests/data/legacy
"""
import json
import sys

import numpy as np
from mmaction.registry import TRANSFORMS

import signmae_mm  # noqa: F401
from signmae_mm.testing import signer_part_maps

KINDS = [
    dict(type='SegmentGuidedHandMask'),
    dict(type='SegmentGuidedHandMask', dilation=1, temporal_pool='max', coverage_thr=0.2),
    dict(type='SegmentGuidedHandMask', ratio=0.3),  # a subset of the hand and arm tokens
    dict(type='SegmentGuidedHandMask', priority_groups=[['left_hand'], ['right_lower_arm']],
         tubelet_size=4),
    dict(type='TubeMask'),
    dict(type='RandomMask', ratio=0.75),
]


def main(out: str) -> None:
    maps = signer_part_maps(8, (16, 16), 2, hand_radius=(5, 8), phase_jitter=1.0)
    rng = np.random.RandomState(18)
    cases, masks = [], []
    for i in range(48):
        kind = dict(KINDS[i % len(KINDS)], patch_size=8, input_size=(8, 64, 64))
        x, y = rng.uniform(0, 0.3, 2)
        quad = [x, y, rng.uniform(0.5, 1 - x), rng.uniform(0.5, 1 - y)]
        if i % 12 == 6:
            quad = [0.9, 0.9, 0.1, 0.1]  # no hand in the crop: the tube fallback
        flip = bool(rng.rand() < 0.5)
        case = dict(kind=kind, quad=quad, flip=flip, seed=int(rng.randint(1 << 30)))
        for backend in (('numpy', 'compiled') if kind['type'] == 'SegmentGuidedHandMask'
                        else (None, )):
            cfg = dict(kind, backend=backend) if backend else kind
            results = dict(filename=f'clip{i}', clip_len=8, num_clips=1, img_shape=(64, 64),
                           sign_part_maps=maps, crop_quadruple=np.array(quad), flip=flip,
                           flip_direction='horizontal')
            np.random.seed(case['seed'])
            masks.append(TRANSFORMS.build(cfg)(results)['mask'])
            cases.append(dict(case, kind=cfg, mask_type=results['mask_type']))
    np.savez_compressed(f'{out}/hand_arm_masks.npz', maps=maps,
                        cases=np.array(json.dumps(cases)),
                        **{f'mask{i}': m for i, m in enumerate(masks)})


if __name__ == '__main__':
    main(sys.argv[1])
