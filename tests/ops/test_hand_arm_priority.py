"""The compiled hand-arm op against the NumPy reference: coverage, masks and fallback through
SegmentGuidedHandMask with each backend, and the op's own checks and selection."""
import shutil
from collections import Counter

import numpy as np
import pytest
from mmaction.registry import TRANSFORMS

import signmae_mm  # noqa: F401
from signmae_mm.datasets.transforms import ClipGeometry
from signmae_mm.ops import (HAS_COMPILED_OPS, HandArmSpec, floyd_subset, hand_arm_priority,
                            select_by_priority)
from signmae_mm.ops.hand_arm_numpy import selection_plan
from signmae_mm.structures import PART_GROUPS
from signmae_mm.testing import signer_part_maps

needs_ops = pytest.mark.skipif(not HAS_COMPILED_OPS, reason='compiled op not built')


def test_the_op_is_built_where_a_compiler_is():
    # optional=True in setup.py: a broken build would silently fall back to NumPy
    if shutil.which('cc') or shutil.which('gcc'):
        assert HAS_COMPILED_OPS, 'a C compiler is on PATH but signmae_mm.ops was not built'


def _signer_maps(frames: int = 16, grid=(32, 32), seed: int = 0) -> np.ndarray:
    """Both hands circling (jittered, 10 to 17 px), four arm segments, a face."""
    return signer_part_maps(frames, grid, seed, hand_radius=(10, 18), phase_jitter=1.0)


def _results(maps, rng, out_hw=(224, 224), clip_len=16) -> dict:
    area = rng.uniform(0.2, 1.0)
    aspect = np.exp(rng.uniform(np.log(3 / 4), np.log(4 / 3)))
    w, h = min(1.0, np.sqrt(area * aspect)), min(1.0, np.sqrt(area / aspect))
    flip = rng.random() < 0.5
    return dict(filename='clip.mp4', clip_len=clip_len, num_clips=1, img_shape=out_hw,
                sign_part_maps=maps,
                crop_quadruple=np.array([rng.uniform(0, 1 - w), rng.uniform(0, 1 - h), w, h]),
                flip=flip, flip_direction='vertical' if rng.random() < 0.2 else 'horizontal')


def _pair(**kwargs):
    return [TRANSFORMS.build(dict(type='SegmentGuidedHandMask', backend=b, **kwargs))
            for b in ('compiled', 'numpy')]


@needs_ops
@pytest.mark.parametrize('kwargs', [
    dict(),
    dict(dilation=1),
    dict(temporal_pool='max', dilation=2, coverage_thr=0.3),
    dict(ratio=0.3),  # hand and arm tokens overflow the budget: a subset of a group
    dict(ratio=0.02, coverage_thr=0.05),  # not even the hands fit
    dict(priority_groups=[['left_hand'], ['right_hand'], ['face']], tubelet_size=4),
])
def test_compiled_and_numpy_give_the_same_coverage_and_masks(kwargs):
    compiled, numpy_path = _pair(**kwargs)
    rng = np.random.default_rng(0)
    maps = _signer_maps()
    kinds = Counter()
    for i in range(40):
        results = _results(maps, rng)
        np.testing.assert_allclose(compiled.token_coverage(dict(results)),
                                   numpy_path.token_coverage(dict(results)), atol=1e-5)
        np.random.seed(i)
        a = compiled(dict(results))
        np.random.seed(i)
        b = numpy_path(dict(results))
        np.testing.assert_array_equal(a['mask'], b['mask'])
        assert a['mask_priority_tokens'] == b['mask_priority_tokens']
        assert a['mask_type'] == b['mask_type'] and a['mask_num_masked'] == b['mask_num_masked']
        level, m, pop = selection_plan(
            [a['mask'].size - sum(a['mask_priority_tokens'].values())] +
            list(a['mask_priority_tokens'].values())[::-1], a['mask_num_masked'])
        kinds['overflow' if level else 'fits'] += 1
    if kwargs.get('ratio', 0.9) < 0.1:
        assert kinds['overflow'] == 40


@needs_ops
def test_non_square_grids_clips_and_patches_agree():
    compiled, numpy_path = _pair(patch_size=(16, 8), input_size=(8, 96, 128), dilation=1)
    rng = np.random.default_rng(1)
    maps = _signer_maps(frames=8, grid=(16, 64))
    for i in range(20):
        results = _results(maps, rng, out_hw=(96, 128), clip_len=8)
        np.testing.assert_allclose(compiled.token_coverage(dict(results)),
                                   numpy_path.token_coverage(dict(results)), atol=1e-5)
        np.random.seed(i)
        a = compiled(dict(results))['mask']
        np.random.seed(i)
        np.testing.assert_array_equal(a, numpy_path(dict(results))['mask'])
        assert a.size == 4 * 6 * 16


@needs_ops
def test_fallback_is_the_same_on_both_paths():
    compiled, numpy_path = _pair()
    results = _results(np.zeros((16, len(PART_GROUPS), 32, 32), np.uint8),
                       np.random.default_rng(2))
    np.random.seed(0)
    a = compiled(dict(results))
    np.random.seed(0)
    b = numpy_path(dict(results))
    assert a['mask_fallback'] and b['mask_fallback'] and a['mask_type'] == 'tube'
    np.testing.assert_array_equal(a['mask'], b['mask'])


def test_auto_uses_numpy_for_float_maps_and_backend_is_checked():
    auto = TRANSFORMS.build(dict(type='SegmentGuidedHandMask'))
    maps = _signer_maps().astype(np.float16)
    out = auto(_results(maps, np.random.default_rng(3)))
    assert out['mask'].sum() == round(0.9 * 1568) and out['mask_priority_tokens']['hand'] > 0
    with pytest.raises(ValueError, match='backend'):
        TRANSFORMS.build(dict(type='SegmentGuidedHandMask', backend='cuda'))


@needs_ops
def test_the_op_rejects_inconsistent_sizes():
    maps = np.zeros((16, 7, 32, 32), np.uint8)
    spec = HandArmSpec(priority_groups=((0, 1), (2, 3)), num_parts=7)
    whole = ClipGeometry((0., 0., 1., 1.), (224, 224), False, False)
    with pytest.raises(ValueError, match='inconsistent sizes'):  # 9 slots of 2 > 16 frames
        hand_arm_priority(maps, whole, 9, spec)
    with pytest.raises(ValueError, match='inconsistent sizes'):  # 6 parts, a table of 7
        hand_arm_priority(maps[:, :6].copy(), whole, 8, spec)
    with pytest.raises((BufferError, ValueError), match='contiguous'):
        hand_arm_priority(maps[:, :, ::2], whole, 8, spec)
    priority = np.zeros(10, np.int8)
    with pytest.raises(ValueError, match='pop does not match'):
        select_by_priority(priority, 0, 2, 9, np.random.random(2))
    with pytest.raises(ValueError, match='inconsistent sizes'):
        select_by_priority(priority, 0, 2, 10, np.random.random(3))


@needs_ops
def test_compiled_selection_picks_floyds_subset():
    rng = np.random.RandomState(1)
    for _ in range(50):
        priority = rng.randint(0, 3, size=300).astype(np.int8)
        level = int(rng.randint(0, 3))
        pop = int((priority == level).sum())
        m = int(rng.randint(0, pop + 1))
        uniforms = rng.random_sample(min(m, pop - m))
        mask = select_by_priority(priority, level, m, pop, uniforms)
        idx = np.flatnonzero(priority == level)
        chosen = np.zeros(pop, bool)
        chosen[floyd_subset(pop, uniforms)] = True
        expected = priority > level
        expected[idx] = chosen if m <= pop - m else ~chosen
        np.testing.assert_array_equal(mask, expected)
        assert mask[idx].sum() == m


@needs_ops
def test_crops_reaching_outside_the_frame_agree_and_stay_in_bounds():
    # a crop_quadruple past the frame's edges (no mmaction2 crop records one, but a user's
    # transform might): the cells outside count as uncovered on both paths
    compiled, numpy_path = _pair()
    maps = _signer_maps()
    for quad in ([0.8, 0.1, 0.5, 0.6], [-0.3, -0.2, 0.6, 0.7], [1.5, 1.5, 0.4, 0.4]):
        results = dict(_results(maps, np.random.default_rng(4)),
                       crop_quadruple=np.array(quad), flip=True)
        a, b = compiled.token_coverage(dict(results)), numpy_path.token_coverage(dict(results))
        np.testing.assert_allclose(a, b, atol=1e-5)
        np.random.seed(0)
        ma = compiled(dict(results))
        np.random.seed(0)
        np.testing.assert_array_equal(ma['mask'], numpy_path(dict(results))['mask'])
    assert ma['mask_fallback']  # the last crop lies wholly outside the frame
