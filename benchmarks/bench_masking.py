"""Median cost per clip of each mask generator at 16x224x224 (8x14x14 tokens), in one run.

Each generator is the registered transform, called on a pipeline-like ``results`` dict (a
16-frame clip after RandomResizedCrop + Resize(224) + Flip: ``crop_quadruple``, ``flip``,
``img_shape``; part maps of a drawn signer on a 32x32 grid, uint8). The geometry changes from
call to call (32 random crops and flips, cycled), as it does in training. Decoding and loading
are not included: they are the same for every mask.

    python benchmarks/bench_masking.py [--calls 3000] [--grid 32] [--check]

The hand-arm rows use the compiled op of ``signmae_mm.ops`` when it is built (``backend='auto'``);
the ``backend='numpy'`` row is the same mask through NumPy alone (no C compiler at install time).

Targets (issue 3): the hand-arm mask costs <= 0.3 ms per clip and <= 3x ``TubeMask``.
``--check`` exits with status 1 when a target is missed.
"""
import argparse
import platform
import sys
import time
from typing import Dict, List

import numpy as np


def signer_part_maps(frames: int = 16, grid: int = 32, seed: int = 0) -> np.ndarray:
    """Part maps of a signer with two moving hands and four arm segments, ``(T, 7, G, G)``."""
    from signmae_mm.testing import signer_part_maps as drawn
    return drawn(frames, (grid, grid), seed)


def clip_results(maps: np.ndarray, n: int = 32, seed: int = 0) -> List[Dict]:
    """Pipeline-like results after the spatial transforms, one per random crop / flip."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        area, aspect = rng.uniform(0.35, 1.0), np.exp(rng.uniform(np.log(3 / 4), np.log(4 / 3)))
        w, h = min(1.0, np.sqrt(area * aspect)), min(1.0, np.sqrt(area / aspect))
        x, y = rng.uniform(0, 1 - w), rng.uniform(0, 1 - h)
        out.append(dict(
            filename='bench.mp4', clip_len=16, num_clips=1, img_shape=(224, 224),
            original_shape=(256, 256), sign_img_shape=(256, 256), sign_part_maps=maps,
            crop_quadruple=np.array([x, y, w, h], np.float32), flip=bool(rng.random() < 0.5),
            flip_direction='horizontal', modality='RGB'))
    return out


def time_transform(transform, results: List[Dict], calls: int) -> np.ndarray:
    """Per-call wall time (microseconds) over ``calls`` calls, after a warm-up."""
    for r in results:
        transform(r)
    times = np.empty(calls)
    clock = time.perf_counter_ns
    for i in range(calls):
        r = results[i % len(results)]
        t0 = clock()
        transform(r)
        times[i] = clock() - t0
    return times / 1e3


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--calls', type=int, default=3000)
    parser.add_argument('--grid', type=int, default=32, help='part-map grid (cells per side)')
    parser.add_argument('--check', action='store_true', help='exit 1 when a target is missed')
    args = parser.parse_args(argv)

    from mmaction.registry import TRANSFORMS

    import signmae_mm  # noqa: F401
    from signmae_mm.ops import HAS_COMPILED_OPS
    np.random.seed(0)
    maps = signer_part_maps(grid=args.grid)
    results = clip_results(maps)
    none = clip_results(np.zeros_like(maps))
    common = dict(ratio=0.9, tubelet_size=2, patch_size=16, input_size=(16, 224, 224))
    cases = [
        ('TubeMask', dict(type='TubeMask', **common), results),
        ('RandomMask', dict(type='RandomMask', **common), results),
        ('SegmentGuidedHandMask', dict(type='SegmentGuidedHandMask', **common), results),
        ('  dilation=1', dict(type='SegmentGuidedHandMask', dilation=1, **common), results),
        ("  temporal_pool='max'", dict(type='SegmentGuidedHandMask', temporal_pool='max',
                                       **common), results),
        ('  fallback (no hands)', dict(type='SegmentGuidedHandMask', **common), none),
        ("  backend='numpy'", dict(type='SegmentGuidedHandMask', backend='numpy', **common),
         results),
    ]
    print(f'mask generators, 16x224x224 clip, 2x16x16 tokens (8x14x14 = 1568), ratio 0.9, '
          f'part maps 16x7x{args.grid}x{args.grid} uint8; {args.calls} calls each')
    print(f'python {platform.python_version()}, numpy {np.__version__}, {platform.machine()}; '
          f'compiled op (signmae_mm.ops): {"built" if HAS_COMPILED_OPS else "NOT built"}')
    print(f'{"generator":<26}{"median us":>10}{"p90 us":>9}{"x Tube":>8}{"masked":>8}'
          f'{"priority tokens (first clip)":>32}')
    medians = {}
    for name, cfg, res in cases:
        transform = TRANSFORMS.build(cfg)
        times = time_transform(transform, res, args.calls)
        medians[name] = float(np.median(times))
        out = transform(dict(res[0]))
        ratio = medians[name] / medians['TubeMask']
        print(f'{name:<26}{medians[name]:>10.1f}{np.percentile(times, 90):>9.1f}{ratio:>8.2f}'
              f'{int(out["mask"].sum()):>8}{str(out.get("mask_priority_tokens", "")):>32}')
    hand = medians['SegmentGuidedHandMask']
    ok_abs, ok_rel = hand <= 300.0, hand <= 3 * medians['TubeMask']
    print(f'target <= 300 us per clip: {hand:.1f} us -> {"met" if ok_abs else "MISSED"}')
    print(f'target <= 3x TubeMask: {hand / medians["TubeMask"]:.2f}x -> '
          f'{"met" if ok_rel else "MISSED"}')
    return 0 if (ok_abs and ok_rel) or not args.check else 1


if __name__ == '__main__':
    sys.exit(main())
