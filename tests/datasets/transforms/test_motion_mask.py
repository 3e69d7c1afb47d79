"""MotionAwareMask: candidates where keypoints move, through real crops / resizes / flips; exact
counts, confidence gating, the recorded fallback, seeding, and one line of config."""
import importlib.util
import random
from pathlib import Path

import numpy as np
import pytest
import torch
from _sign_clips import LOAD, build_pipeline, sample_info
from mmaction.registry import TRANSFORMS
from mmengine.config import Config

import signmae_mm  # noqa: F401
from signmae_mm.datasets.transforms import MotionAwareMask, as_mask, token_masks
from signmae_mm.ops import round_half_up
from signmae_mm.structures import KEYPOINT_RANGES

REPO = Path(__file__).resolve().parents[3]
SIZE, PATCH, TUBELET = 64, 8, 2
N = (16 // TUBELET) * (SIZE // PATCH)**2  # 512 tokens
GRID = SIZE // PATCH
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
MASK = dict(type='MotionAwareMask', tubelet_size=TUBELET, patch_size=PATCH)


def _limb_token_coverage(inputs: torch.Tensor) -> np.ndarray:
    """Fraction of hand (red) or forearm (blue) pixels in every token, in Conv3d token order
    (the wrist keypoint sits on the hand's lower edge, where the forearm starts)."""
    x = inputs.float()[0]  # (C, T, H, W), RGB
    red = (x[0] > 150) & (x[1] < 100) & (x[2] < 100)
    blue = (x[2] > 150) & (x[0] < 100) & (x[1] < 100)
    limb = (red | blue).float()[None, None]
    return torch.nn.functional.avg_pool3d(limb, (TUBELET, PATCH, PATCH)).flatten(2)[0,
                                                                                    0].numpy()


@pytest.mark.parametrize('variant', sorted(SPATIAL))
def test_candidates_follow_crop_resize_flip(make_sign_sample, variant):
    """After crop, resize and flip the candidates are where the moving hand is in the tensor,
    and an exact share of them is masked."""
    sample = make_sign_sample('hand', num_frames=16)
    cfg = dict(MASK, ratio=0.2, input_size=(16, SIZE, SIZE))
    head = build_pipeline(LOAD + SPATIAL[variant] + [cfg])
    tail = build_pipeline(([dict(type='Fuse')] if variant == 'lazy' else []) + [
        dict(type='FormatShape', input_format='NCTHW'),
        dict(type='PackActionInputs', algorithm_keys=('mask', ))
    ])
    masker = TRANSFORMS.build(cfg)
    flips, mirrored_hits = set(), []
    for seed in range(6):
        np.random.seed(seed)
        random.seed(seed)
        results = head(sample_info(sample))
        candidates, _, reason = masker.motion_candidates(results)
        mask = results['mask']
        flips.add(bool(results['flip']))
        limb = _limb_token_coverage(tail(results)['inputs'])
        assert reason == '' and results['mask_type'] == 'motion'
        assert results['mask_fallback'] is False
        assert candidates.sum() == results['mask_motion_candidates'] > 0
        # every candidate shows the hand (or its wrist) in the tensor the model sees ...
        assert (limb[candidates] > 0).all(), f'seed {seed}: a candidate off the hand'
        # ... whose location a mirrored map would miss
        mirror = limb.reshape(8, GRID, GRID)[..., ::-1].reshape(-1)
        mirrored_hits.append((mirror[candidates] > 0).mean())
        assert mask.sum() == round_half_up(0.2 * N)
        assert mask[candidates].sum() == round_half_up(0.9 * candidates.sum())
    assert flips == {True, False}
    assert min(mirrored_hits) < 0.8


def _still_signer(t: int = 16, size: int = 64) -> dict:
    """Results of a clip with one moving hand (the left, 3 px per frame to the right) and
    everything else still: the right hand, the shoulders and the face."""
    kps = np.zeros((t, 133, 2), np.float32)
    scores = np.zeros((t, 133), np.float32)
    a, b = KEYPOINT_RANGES['left_hand']
    gx, gy = np.meshgrid(np.linspace(0, 6, 7), np.linspace(0, 6, 3))
    hand = np.stack([gx.ravel(), gy.ravel()], -1)  # 21 points, 6 px across
    for f in range(t):
        kps[f, a:b] = hand + (4 + 3 * f, 4)  # 6 px in 2 frames, 9 in the lag of 3
    a2, b2 = KEYPOINT_RANGES['right_hand']
    kps[:, a2:b2] = hand + (4, 44)
    kps[:, 23:91] = (40, 50)  # the face, still, far from the hands
    kps[:, [5, 6]] = [(20, 36), (50, 36)]
    scores[:, 91:133] = 0.9
    scores[:, 23:91] = 0.9
    scores[:, [5, 6]] = 0.9
    maps = np.zeros((t, 7, size // 4, size // 4), np.uint8)
    return dict(filename='still.mp4', clip_len=t, num_clips=1, img_shape=(size, size),
                sign_img_shape=(size, size), sign_keypoints=kps, sign_keypoint_scores=scores,
                sign_part_maps=maps)


def _tokens_of(points: np.ndarray, size: int = 64) -> np.ndarray:
    """``(N,)`` bool: the tokens that ``(T, K, 2)`` points (identity geometry) fall in."""
    t, grid = len(points), size // PATCH
    out = np.zeros((t // TUBELET, grid, grid), bool)
    for f in range(t):
        col, row = (points[f] // PATCH).astype(int).T
        out[f // TUBELET, row, col] = True
    return out.reshape(-1)


def test_candidates_are_the_moving_hand_and_counts_are_exact():
    results = _still_signer()
    a, b = KEYPOINT_RANGES['left_hand']
    moving_hand = _tokens_of(results['sign_keypoints'][:, a:b])
    masker = TRANSFORMS.build(dict(MASK, ratio=0.9, fill='random'))
    candidates, hand, reason = masker.motion_candidates(dict(results))
    assert reason == '' and hand == 6.0
    np.testing.assert_array_equal(candidates, moving_hand)
    n_c = round_half_up(0.9 * candidates.sum())
    for seed in range(5):
        np.random.seed(seed)
        out = masker(dict(results))
        assert out['mask'].sum() == 461 and out['mask_num_masked'] == 461
        # 90 % of the candidates, the others left visible (the rest of the budget is elsewhere)
        assert out['mask'][candidates].sum() == n_c
    # a budget below 90 % of the candidates: candidates only
    few = TRANSFORMS.build(dict(MASK, ratio=5 / N, fill='random'))
    mask = few(dict(results))['mask']
    assert mask.sum() == 5 and mask[candidates].sum() == 5
    # a budget that the non-candidates cannot fill: the candidates left out are masked last
    assert N - candidates.sum() + n_c < N - 1
    most = TRANSFORMS.build(dict(MASK, ratio=(N - 1) / N, fill='random'))
    mask = most(dict(results))['mask']
    assert mask.sum() == N - 1 and mask[~candidates].all()


def test_the_threshold_is_in_hand_sizes_and_confidence_gated():
    results = _still_signer()
    # 9 px in 3 frames, a hand of 6 px: 1.5 hand sizes, times the scores 0.9 * 0.9
    moves = 9 * 0.81 / 6
    below = TRANSFORMS.build(dict(MASK, eps=moves * 0.99, fill='random'))
    above = TRANSFORMS.build(dict(MASK, eps=moves * 1.01, fill='random'))
    assert below.motion_candidates(dict(results))[0].any()
    assert not above.motion_candidates(dict(results))[0].any()
    # the same clip twice as large (the hand too): the same candidates, per token of twice
    # the patch
    big = _still_signer(size=128)
    big['sign_keypoints'] = results['sign_keypoints'] * 2
    large = TRANSFORMS.build(dict(MASK, patch_size=2 * PATCH, fill='random'))
    np.testing.assert_array_equal(
        large.motion_candidates(big)[0], TRANSFORMS.build(
            dict(MASK, fill='random')).motion_candidates(dict(results))[0])
    # a moving hand below the confidence gate in half of the frames: nothing moves there
    gated = dict(results, sign_keypoint_scores=results['sign_keypoint_scores'].copy())
    a, b = KEYPOINT_RANGES['left_hand']
    gated['sign_keypoint_scores'][8:, a:b] = 0.39
    candidates = below.motion_candidates(gated)[0].reshape(8, -1)
    assert candidates[:2].any()
    assert not candidates[3:].any()  # frames 0-4 move (partners 3-7); 5-7 pair with 8-10
    gated['sign_keypoint_scores'][:, a:b] = 0.39
    out = below(gated)  # the left hand never counts; the right hand sizes the threshold
    assert out['mask_fallback'] is True and out['mask_type'] == 'random'
    assert out['mask_motion_candidates'] == 0 and out['mask'].sum() == 461


@pytest.mark.parametrize('motion', ['static', 'none'])
def test_static_clips_fall_back_to_the_hand_arm_mask(make_sign_sample, motion):
    sample = make_sign_sample(motion, motion=motion)
    head = build_pipeline(LOAD + SPATIAL['rrc'])
    cfg = dict(MASK, ratio=0.9)
    np.random.seed(0)
    random.seed(0)
    results = head(sample_info(sample))
    np.random.seed(1)
    out = TRANSFORMS.build(cfg)(dict(results))
    np.random.seed(1)
    hand_arm = TRANSFORMS.build(as_mask(cfg, 'hand_arm'))(dict(results))
    np.testing.assert_array_equal(out['mask'], hand_arm['mask'])  # the hand-arm mask itself
    assert out['mask'].sum() == 461 and out['mask_fallback'] is True
    assert out['mask_motion_candidates'] == 0
    if motion == 'static':
        assert out['mask_type'] == 'hand_arm'
        assert out['mask_fallback_reason'].startswith('no token where >= 0.5 of the keypoints')
    else:  # no hand: no hand size, and the hand-arm mask's own fallback, a tube
        assert out['mask_type'] == 'tube' and out['mask_hand_size'] == 0.0
        assert out['mask_fallback_reason'].startswith('no hand with all 21 keypoints')
        assert 'then no token reaches coverage 0.1' in out['mask_fallback_reason']


def test_deterministic_given_the_seed(make_sign_sample):
    sample = make_sign_sample('hand')
    results = build_pipeline(LOAD + SPATIAL['rrc'])(sample_info(sample))
    masker = TRANSFORMS.build(dict(MASK, ratio=0.75))
    masks = {}
    for seed in (0, 1, 0):
        np.random.seed(seed)
        mask = masker(dict(results))['mask']
        masks.setdefault(seed, mask)
        np.testing.assert_array_equal(masks[seed], mask)
    assert (masks[0] != masks[1]).any()


def test_one_line_of_config_and_discovered():
    assert token_masks()['motion'] is MotionAwareMask
    cfg = Config.fromfile(str(REPO / 'configs' / 'demo' /
                              'signmae-motion_vit-tiny-p8_8x2x1_signdemo.py'))
    base = Config.fromfile(str(REPO / 'configs' / 'demo' /
                               'signmae-handarm_vit-tiny-p8_8x2x1_signdemo.py'))
    ours, theirs = cfg.train_dataloader.dataset.pipeline, base.train_dataloader.dataset.pipeline
    diff = [(a, b) for a, b in zip(ours, theirs) if a != b]
    assert len(ours) == len(theirs) and len(diff) == 1
    assert diff[0][0] == dict(as_mask(diff[0][1], 'motion'))
    built = TRANSFORMS.build(diff[0][0])
    assert isinstance(built, MotionAwareMask) and built.input_size == (8, 64, 64)
    # the masking ablation finds the config by its mask
    spec = importlib.util.spec_from_file_location('ablate_masking',
                                                  REPO / 'benchmarks' / 'ablate_masking.py')
    ablate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ablate)
    assert ablate.PRETRAIN_CONFIGS['motion'] == \
        'configs/demo/signmae-motion_vit-tiny-p8_8x2x1_signdemo.py'
