"""Token masks: counts, token order, geometry through real mmaction2 crops / resizes / flips."""
import random

import numpy as np
import pytest
import torch
from _sign_clips import LOAD, build_pipeline, sample_info
from mmaction.registry import TRANSFORMS

import signmae_mm  # noqa: F401

SIZE = 64
PATCH, TUBELET = 8, 2
N = (16 // TUBELET) * (SIZE // PATCH)**2  # 512 tokens


def _red_token_coverage(inputs: torch.Tensor) -> np.ndarray:
    """Fraction of hand-coloured pixels in every token, in Conv3d token order.

    The hand is pure red in the video; a strided Conv3d that averages a red indicator gives the
    per-token coverage of the tensor the model sees, flattened exactly like the patch embedding.
    """
    x = inputs.float()[0]  # (C, T, H, W), RGB from decord
    red = ((x[0] > 150) & (x[1] < 100) & (x[2] < 100)).float()[None, None]
    conv = torch.nn.Conv3d(1, 1, (TUBELET, PATCH, PATCH), (TUBELET, PATCH, PATCH), bias=False)
    torch.nn.init.constant_(conv.weight, 1.0 / (TUBELET * PATCH * PATCH))
    with torch.no_grad():
        return conv(red).flatten(2)[0, 0].numpy()


SPATIAL = {
    'rrc': [dict(type='RandomResizedCrop', area_range=(0.3, 1.0)),
            dict(type='Resize', scale=(SIZE, SIZE), keep_ratio=False),
            dict(type='Flip', flip_ratio=0.5)],
    'resize_msc': [dict(type='Resize', scale=(-1, 80)),
                   dict(type='MultiScaleCrop', input_size=SIZE, scales=(1, 0.875, 0.75, 0.66),
                        random_crop=False, max_wh_scale_gap=1),
                   dict(type='Resize', scale=(SIZE, SIZE), keep_ratio=False),
                   dict(type='Flip', flip_ratio=0.5)],
    'lazy': [dict(type='RandomResizedCrop', area_range=(0.3, 1.0), lazy=True),
             dict(type='Resize', scale=(SIZE, SIZE), keep_ratio=False, lazy=True),
             dict(type='Flip', flip_ratio=0.5, lazy=True)],
}


@pytest.mark.parametrize('variant', sorted(SPATIAL))
def test_hand_tokens_follow_crop_resize_flip(make_sign_sample, variant):
    """After crop, resize and flip the masked tokens are where the hand is in the tensor."""
    sample = make_sign_sample('hand', num_frames=16)
    mask_cfg = dict(type='SegmentGuidedHandMask', ratio=0.2, coverage_thr=0.3,
                    tubelet_size=TUBELET, patch_size=PATCH, input_size=(16, SIZE, SIZE),
                    priority_groups=dict(hand=('left_hand', 'right_hand')))
    head = build_pipeline(LOAD + SPATIAL[variant] + [mask_cfg])
    tail = build_pipeline(([dict(type='Fuse')] if variant == 'lazy' else []) + [
        dict(type='FormatShape', input_format='NCTHW'),
        dict(type='PackActionInputs', algorithm_keys=('mask', ))
    ])
    masker = TRANSFORMS.build(mask_cfg)
    flips, errors, mirrored_errors = set(), [], []
    for seed in range(6):
        np.random.seed(seed)
        random.seed(seed)
        results = head(sample_info(sample))
        coverage = masker.token_coverage(results)[0].reshape(-1)  # (t, h, w) order
        mask = results['mask']
        flips.add(bool(results['flip']))
        inputs = tail(results)['inputs']
        pixel = _red_token_coverage(inputs)
        assert mask.shape == (N, ) and mask.dtype == np.bool_
        assert mask.sum() == round(0.2 * N)
        # every token that is mostly hand in the tensor the model sees is masked ...
        assert mask[pixel >= 0.5].all(), f'seed {seed}: hand tokens left visible'
        # ... and the part-map coverage agrees with the pixels token by token
        errors.append(np.abs(coverage - pixel).max())
        mirror = pixel.reshape(8, 8, 8)[..., ::-1].reshape(-1)
        mirrored_errors.append(np.abs(coverage - mirror).max())
        hand = results['mask_priority_tokens']['hand']
        assert hand == (coverage >= 0.3).sum() > 0
        assert results['mask_type'] == 'hand_arm' and results['mask_fallback'] is False
    assert flips == {True, False}
    assert max(errors) < 0.15, errors  # compression / resampling blur only (measured <= 0.07)
    assert min(mirrored_errors) > 0.5  # the check can fail: a mirrored map would be caught


def test_counts_are_exact_and_priorities_hold(make_sign_sample):
    sample = make_sign_sample('hand', num_frames=16)
    pipeline = build_pipeline(LOAD + SPATIAL['rrc'])
    base = pipeline(sample_info(sample))
    hand_arm = TRANSFORMS.build(
        dict(type='SegmentGuidedHandMask', ratio=0.9, tubelet_size=TUBELET, patch_size=PATCH))
    coverage = hand_arm.token_coverage(base)  # (2, 8, 8, 8): hand, arm
    hand = (coverage[0] >= 0.1).reshape(-1)
    arm = (coverage[1] >= 0.1).reshape(-1) & ~hand
    assert 0 < hand.sum() and 0 < arm.sum() and hand.sum() + arm.sum() < 461
    counts = set()
    for _ in range(20):
        out = hand_arm(dict(base))
        counts.add(int(out['mask'].sum()))
        assert out['mask'][hand | arm].all()  # hands and arms first, then random
        assert out['mask_priority_tokens'] == dict(hand=int(hand.sum()), arm=int(arm.sum()))
    assert counts == {461}  # round(0.9 * 512)
    # a budget smaller than the hand + arm tokens: all hand tokens, then a random part of the arm
    budget = int(hand.sum()) + int(arm.sum()) // 2
    small = TRANSFORMS.build(
        dict(type='SegmentGuidedHandMask', ratio=budget / N, tubelet_size=TUBELET,
             patch_size=PATCH))
    seen = []
    for _ in range(5):
        mask = small(dict(base))['mask']
        assert mask.sum() == budget and mask[hand].all()
        assert mask[arm].sum() == budget - hand.sum() and not mask[~(hand | arm)].any()
        seen.append(mask[arm])
    assert any((s != seen[0]).any() for s in seen)  # the arm subset is random
    # dilation grows the hand group by one cell per time slot
    dilated = TRANSFORMS.build(
        dict(type='SegmentGuidedHandMask', ratio=0.9, tubelet_size=TUBELET, patch_size=PATCH,
             dilation=1, priority_groups=[['left_hand', 'right_hand']]))
    out = dilated(dict(base))
    grown = hand.reshape(8, 8, 8).copy()
    grown[:, 1:] |= grown[:, :-1].copy()
    grown[:, :-1] |= grown[:, 1:].copy()
    grown[:, :, 1:] |= grown[:, :, :-1].copy()
    grown[:, :, :-1] |= grown[:, :, 1:].copy()
    assert out['mask_priority_tokens'] == dict(group0=int(grown.sum()))
    assert out['mask'][grown.reshape(-1)].all()
    # temporal_pool='max': a token counts when one frame of its tubelet is covered enough
    peak = TRANSFORMS.build(
        dict(type='SegmentGuidedHandMask', ratio=0.9, tubelet_size=TUBELET, patch_size=PATCH,
             temporal_pool='max'))
    out = peak(dict(base))
    peak_hand = (peak.token_coverage(base)[0] >= 0.1).reshape(-1)
    assert (peak_hand >= hand).all() and peak_hand.sum() > hand.sum()  # the hand moves
    assert out['mask'].sum() == 461 and out['mask'][peak_hand].all()


def test_fallback_to_tube_when_no_hand(make_sign_sample):
    sample = make_sign_sample('nohand', motion='none')
    results = build_pipeline(LOAD + SPATIAL['rrc'] + [
        dict(type='SegmentGuidedHandMask', ratio=0.9, tubelet_size=TUBELET, patch_size=PATCH)
    ])(sample_info(sample))
    mask = results['mask']
    assert mask.sum() == 461 and results['mask_fallback'] is True
    assert results['mask_type'] == 'tube'
    assert 'no token reaches coverage 0.1' in results['mask_fallback_reason']
    assert results['mask_priority_tokens'] == dict(hand=0, arm=0)
    # a tube: 57 = 461 // 8 cells masked in every time slot, plus 461 - 8 * 57 = 5 more
    per_slot = mask.reshape(8, 64)
    common = per_slot.all(0)
    assert common.sum() == 57 and per_slot.sum() - 8 * 57 == 5


def test_tube_and_random_masks(make_video):
    video = make_video('v.mp4', num_frames=16, size=64)
    pipeline = build_pipeline([
        dict(type='DecordInit'),
        dict(type='SampleFrames', clip_len=16, frame_interval=1, num_clips=1),
        dict(type='DecordDecode'),
        dict(type='Resize', scale=(SIZE, SIZE), keep_ratio=False)
    ])
    results = pipeline(dict(filename=str(video), label=0, modality='RGB', start_index=0))
    tube = TRANSFORMS.build(dict(type='TubeMask', ratio=0.9, tubelet_size=2, patch_size=8))
    masks = [tube(dict(results))['mask'] for _ in range(5)]
    for m in masks:
        slots = m.reshape(8, 64)
        assert (slots == slots[0]).all()  # constant over time
        assert slots[0].sum() == int(0.9 * 64) == 57 and m.sum() == 456
    assert len({m.tobytes() for m in masks}) > 1
    out = tube(dict(results))
    assert out['mask_type'] == 'tube' and out['mask_fallback'] is False
    # VideoMAE's count at 16x224x224: 8 * int(0.9 * 196) = 1408
    big = TRANSFORMS.build(dict(type='TubeMask', ratio=0.9, input_size=(16, 224, 224)))
    assert big(dict(filename='x'))['mask'].sum() == 1408
    rnd = TRANSFORMS.build(dict(type='RandomMask', ratio=0.9, tubelet_size=2, patch_size=8))
    masks = [rnd(dict(results))['mask'] for _ in range(5)]
    assert all(m.sum() == 461 for m in masks) and len({m.tobytes() for m in masks}) == 5
    assert not all((m.reshape(8, 64) == m.reshape(8, 64)[0]).all() for m in masks)


def test_bad_inputs_raise_clear_errors(make_video, make_sign_sample):
    sample = make_sign_sample('hand')
    info = sample_info(sample)
    cfg = dict(type='SegmentGuidedHandMask', tubelet_size=2, patch_size=8)
    results = build_pipeline(LOAD)(dict(info))
    with pytest.raises(ValueError, match=r'hand.mp4: the clip is \(16, 96, 128\) \(T, H, W\) but '
                       r'input_size is \(16, 64, 64\)'):
        TRANSFORMS.build(dict(cfg, input_size=(16, 64, 64)))(dict(results))
    no_maps = {k: v for k, v in results.items() if k != 'sign_part_maps'}
    with pytest.raises(KeyError, match='hand.mp4: no part maps .* add LoadSignAnnotation'):
        TRANSFORMS.build(cfg)(no_maps)
    two_clips = build_pipeline([
        dict(type='DecordInit'),
        dict(type='SampleFrames', clip_len=8, frame_interval=1, num_clips=2),
        dict(type='DecordDecode'),
        dict(type='LoadSignAnnotation')
    ])(dict(info))
    for name in ('SegmentGuidedHandMask', 'TubeMask', 'RandomMask'):
        with pytest.raises(ValueError, match='hand.mp4: masked pretraining takes one clip per '
                           'sample, got num_clips=2'):
            TRANSFORMS.build(dict(cfg, type=name))(dict(two_clips))
    three = build_pipeline([dict(type='ThreeCrop', crop_size=96)])(dict(results))
    with pytest.raises(ValueError, match='48 images for a 16-frame clip; multi-crop'):
        TRANSFORMS.build(cfg)(three)
    with pytest.raises(ValueError, match='Unknown part group'):
        TRANSFORMS.build(dict(cfg, priority_groups=[['hands']]))
    with pytest.raises(ValueError, match='ratio must be in'):
        TRANSFORMS.build(dict(cfg, ratio=1.0))
    with pytest.raises(ValueError, match='holds no 2x32x32 token'):
        TRANSFORMS.build(dict(type='TubeMask', patch_size=32, input_size=(16, 16, 16)))


def test_short_video_loops_and_masks_stay_exact(make_sign_sample):
    """A video shorter than the clip: SampleFrames loops, the annotation follows the frames."""
    sample = make_sign_sample('short', num_frames=6)
    results = build_pipeline(LOAD + SPATIAL['rrc'] + [
        dict(type='SegmentGuidedHandMask', ratio=0.9, tubelet_size=TUBELET, patch_size=PATCH)
    ])(sample_info(sample))
    assert results['sign_repeated_frames'] is True
    assert list(results['frame_inds']) == [i % 6 for i in range(16)]
    # part maps of clip frame i are those of video frame i % 6
    assert (results['sign_part_maps'][7] == sample['arrays']['part_maps'][1]).all()
    assert results['mask'].sum() == 461


def test_masks_are_those_of_the_main_before_the_restructuring():
    """The same clips and seeds give the masks that the main of commit 3603348 drew, bit for
    bit, with both backends (tests/data/legacy/make_legacy_masks.py wrote them)."""
    import json
    from pathlib import Path

    from signmae_mm.ops import HAS_COMPILED_OPS
    stored = np.load(Path(__file__).resolve().parents[1] / 'data' / 'legacy' /
                     'hand_arm_masks.npz')
    cases = json.loads(str(stored['cases']))
    assert {c['mask_type'] for c in cases} == {'hand_arm', 'tube', 'random'}
    for i, case in enumerate(cases):
        if case['kind'].get('backend') == 'compiled' and not HAS_COMPILED_OPS:
            continue
        results = dict(filename=f'clip{i}', clip_len=8, num_clips=1, img_shape=(64, 64),
                       sign_part_maps=stored['maps'], crop_quadruple=np.array(case['quad']),
                       flip=case['flip'], flip_direction='horizontal')
        np.random.seed(case['seed'])
        results = TRANSFORMS.build(case['kind'])(results)
        np.testing.assert_array_equal(results['mask'], stored[f'mask{i}'], err_msg=str(case))
        assert results['mask_type'] == case['mask_type']


@pytest.fixture
def corner_mask():
    """A mask defined and registered by the test only, as a user's plugin would."""
    from signmae_mm.datasets.transforms.masking import _BaseTokenMask

    class CornerTestMask(_BaseTokenMask):
        mask_type = 'corner_test'

        def transform(self, results):
            t, hp, wp = self._grid_of(self.clip_size(results), '')
            mask = np.zeros(t * hp * wp, bool)
            mask[:round(self.ratio * mask.size)] = True
            return self._write(results, mask, self.mask_type)

    TRANSFORMS.register_module(module=CornerTestMask)
    yield CornerTestMask
    TRANSFORMS._module_dict.pop('CornerTestMask')


def test_the_registry_lists_the_masks_once(corner_mask):
    from signmae_mm.datasets.repeated_views import views_need_frame_copies
    from signmae_mm.datasets.transforms import as_mask, is_token_mask, token_masks
    from signmae_mm.visualization import override_pipeline
    masks = token_masks()
    assert {k: c.__name__ for k, c in masks.items()} == dict(
        corner_test='CornerTestMask', hand_arm='SegmentGuidedHandMask', motion='MotionAwareMask',
        random='RandomMask', tube='TubeMask')
    hand_arm = dict(type='SegmentGuidedHandMask', ratio=0.75, patch_size=8, tubelet_size=4,
                    visible_slots=1, priority_groups=dict(hand=('left_hand', 'right_hand')))
    assert is_token_mask(hand_arm) and is_token_mask(TRANSFORMS.build(hand_arm))
    assert not is_token_mask(dict(type='Resize', scale=(64, 64)))
    # a swap keeps what all masks take, and the new mask builds and masks
    corner = as_mask(hand_arm, 'corner_test')
    assert corner == dict(type='CornerTestMask', ratio=0.75, patch_size=8, tubelet_size=4)
    out = TRANSFORMS.build(corner)(dict(img_shape=(64, 64), clip_len=8, num_clips=1))
    assert out['mask'].sum() == 96 and out['mask_type'] == 'corner_test'
    with pytest.raises(ValueError, match="unknown mask 'nope'.*corner_test"):
        as_mask(hand_arm, 'nope')
    with pytest.raises(ValueError, match='not a token mask'):
        as_mask(dict(type='Resize'), 'tube')
    # the visualisers' --mask, the views that share frames: the new mask without a line there
    pipeline = [dict(type='DecordDecode'), dict(type='Resize', scale=(64, 64)), hand_arm]
    assert override_pipeline(pipeline, mask='corner_test')[2]['type'] == 'CornerTestMask'
    assert not views_need_frame_copies([TRANSFORMS.build(corner)])
    assert views_need_frame_copies([TRANSFORMS.build(dict(type='Flip', flip_ratio=0.5))])
