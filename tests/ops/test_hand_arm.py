"""The hand-arm algorithm's one entry point: the typed spec, the choice of backend, and the
same masks from both backends for the same random state."""
import numpy as np
import pytest

from signmae_mm.datasets.transforms import ClipGeometry
from signmae_mm.ops import (HAS_COMPILED_OPS, HandArmSpec, hand_arm_backend, hand_arm_coverage,
                            hand_arm_token_mask)
from signmae_mm.structures import PART_GROUPS
from signmae_mm.testing import signer_part_maps

P = len(PART_GROUPS)
HANDS_ARMS = ((PART_GROUPS.index('left_hand'), PART_GROUPS.index('right_hand')),
              tuple(PART_GROUPS.index(f'{s}_{p}_arm') for p in ('lower', 'upper')
                    for s in ('left', 'right')))
WHOLE = ClipGeometry((0., 0., 1., 1.), (64, 64), False, False)


def _spec(**kwargs) -> HandArmSpec:
    return HandArmSpec(**dict(dict(priority_groups=HANDS_ARMS, num_parts=P,
                                   patch_size=(8, 8)), **kwargs))


def test_spec_checks_its_settings_and_derives_the_op_tables():
    spec = _spec(temporal_pool='max', coverage_thr=0.2)
    assert spec.num_groups == 2 and not spec.mean
    assert spec.full_units == 255 and spec.threshold_units == pytest.approx(51.0)
    table = np.frombuffer(spec.group_table, np.uint8).reshape(2, P)
    assert table.sum() == 6 and all(table[0, i] for i in HANDS_ARMS[0])
    assert _spec().full_units == 510  # 'mean': summed over the tubelet's 2 frames
    assert _spec(priority_groups=((0, 2), )).group_slices == [None]
    for bad, match in [(dict(priority_groups=()), 'non-empty'),
                       (dict(priority_groups=((P, ), )), 'outside'),
                       (dict(coverage_thr=0.), 'coverage_thr'), (dict(dilation=-1), 'dilation'),
                       (dict(temporal_pool='sum'), 'temporal_pool'),
                       (dict(backend='cuda'), 'backend'), (dict(tubelet_size=0), 'sizes')]:
        with pytest.raises(ValueError, match=match):
            _spec(**bad)


def test_one_function_chooses_the_backend():
    maps = np.zeros((4, P, 8, 8), np.uint8)
    assert hand_arm_backend(_spec(backend='numpy'), maps) == 'numpy'
    assert hand_arm_backend(_spec(), maps) == ('compiled' if HAS_COMPILED_OPS else 'numpy')
    # the op reads uint8 only: other maps take the reference whatever was asked
    if HAS_COMPILED_OPS:
        assert hand_arm_backend(_spec(backend='compiled'), maps.astype(np.float32)) == 'numpy'
    else:
        with pytest.raises(RuntimeError, match='without its C extension'):
            _spec(backend='compiled')


def test_full_cover_is_one_and_the_fallback_draws_nothing():
    maps = np.zeros((4, P, 8, 8), np.uint8)
    maps[:, HANDS_ARMS[0][0]] = 255
    for backend in ('auto', 'numpy'):
        spec = _spec(backend=backend)
        cov = hand_arm_coverage(maps, WHOLE, 2, spec)
        assert cov.shape == (2, 2, 8, 8) and (cov[0] == 1).all() and (cov[1] == 0).all()
        mask, counts, _ = hand_arm_token_mask(maps, WHOLE, 2, 100, spec)
        assert counts == (0, 0, 128) and mask.sum() == 100
        state = np.random.get_state()[1].copy()
        mask, counts, _ = hand_arm_token_mask(np.zeros_like(maps), WHOLE, 2, 100, spec)
        assert mask is None and counts == (128, 0, 0)
        np.testing.assert_array_equal(np.random.get_state()[1], state)


@pytest.mark.skipif(not HAS_COMPILED_OPS, reason='compiled op not built')
@pytest.mark.parametrize('kwargs', [dict(), dict(dilation=1, temporal_pool='max'),
                                    dict(coverage_thr=0.02, tubelet_size=4),
                                    dict(dilation=1, visible_slots=1)])
def test_both_backends_give_the_same_masks_from_the_same_state(kwargs):
    maps = signer_part_maps(16, (24, 24), 3, hand_radius=(6, 10), phase_jitter=1.0)
    rng = np.random.default_rng(5)
    compiled, numpy_ref = _spec(backend='compiled', **kwargs), _spec(backend='numpy', **kwargs)
    t_slots = 16 // compiled.tubelet_size
    ties = 0
    for i in range(30):
        x, y = rng.uniform(0, 0.3, 2)
        geometry = ClipGeometry((x, y, rng.uniform(0.5, 1 - x), rng.uniform(0.5, 1 - y)),
                                (64, 64), bool(rng.random() < 0.5), False)
        budget = int(rng.integers(1, t_slots * 64))
        cov = hand_arm_coverage(maps, geometry, t_slots, compiled)
        np.testing.assert_allclose(cov, hand_arm_coverage(maps, geometry, t_slots, numpy_ref),
                                   atol=1e-5)
        if np.abs(cov - compiled.coverage_thr).min() < 1e-5:
            # The backends sum in different orders: a token within float error of the
            # threshold may fall either side (known; rare with real maps).
            ties += 1
            continue
        np.random.seed(i)
        a = hand_arm_token_mask(maps, geometry, t_slots, budget, compiled)
        after = np.random.random()
        np.random.seed(i)
        b = hand_arm_token_mask(maps, geometry, t_slots, budget, numpy_ref)
        assert a.counts == b.counts and np.random.random() == after
        np.testing.assert_array_equal(a.mask, b.mask)
        assert a.mask is None or a.mask.sum() == budget
    assert ties <= 3


@pytest.mark.parametrize('backend', ['auto', 'numpy'])
def test_visible_slots_leave_the_hands_of_whole_slots_visible(backend):
    # the hands cover two columns of every frame, the arms nothing
    maps = np.zeros((8, P, 8, 8), np.uint8)
    maps[:, HANDS_ARMS[0][0], :, :2] = 255
    t_slots, budget = 4, 230  # 4 x 8 x 8 = 256 tokens, 90 % masked
    plain = hand_arm_token_mask(maps, WHOLE, t_slots, budget, _spec(backend=backend))
    assert plain.mask.reshape(t_slots, 8, 8)[:, :, :2].all() and plain.revealed == 0

    np.random.seed(3)
    out = hand_arm_token_mask(maps, WHOLE, t_slots, budget, _spec(backend=backend,
                                                                  visible_slots=1))
    mask = out.mask.reshape(t_slots, 8, 8)
    assert out.mask.sum() == budget and out.counts == plain.counts
    seen = ~mask[:, :, :2].reshape(t_slots, -1)
    # every hand token of exactly one slot is visible, none of the others'
    assert sorted(seen.all(1).tolist()) == [False] * 3 + [True] and seen.sum() == 16
    assert out.revealed == 16
    # the freed budget went to other tokens: 26 visible in all, 16 of them hands
    assert (~mask[:, :, 2:]).sum() == 26 - 16
    np.random.seed(3)
    again = hand_arm_token_mask(maps, WHOLE, t_slots, budget, _spec(backend=backend,
                                                                    visible_slots=1))
    np.testing.assert_array_equal(again.mask, out.mask)  # seeded: the same mask


def test_visible_slots_reveal_only_what_other_tokens_can_replace():
    # hands everywhere: no other token can take a revealed one's place, so none is revealed
    maps = np.zeros((4, P, 8, 8), np.uint8)
    maps[:, HANDS_ARMS[0][0]] = 255
    out = hand_arm_token_mask(maps, WHOLE, 2, 100, _spec(visible_slots=2))
    assert out.mask.sum() == 100 and out.revealed == 0
    # hands on half of each frame, 100 of 128 masked: 28 others can swap in for 64 hand tokens
    maps[:, HANDS_ARMS[0][0], :, 4:] = 0
    out = hand_arm_token_mask(maps, WHOLE, 2, 100, _spec(visible_slots=2))
    assert out.mask.sum() == 100 and out.revealed == 28
    assert out.mask.reshape(2, 8, 8)[:, :, 4:].all()  # every other token is masked now
    with pytest.raises(ValueError, match='visible_slots'):
        _spec(visible_slots=-1)
