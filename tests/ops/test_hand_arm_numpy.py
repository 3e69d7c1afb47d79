"""The steps of the NumPy reference: dilation, priority levels, the selection plan."""
import numpy as np
import pytest

from signmae_mm.ops.hand_arm_numpy import dilate, priority_levels, select_tokens, selection_plan


def test_dilate_grows_a_square_per_slot():
    x = np.zeros((2, 5, 5), bool)
    x[0, 2, 2] = True
    out = dilate(x, 1)
    assert out[0, 1:4, 1:4].all() and out[0].sum() == 9 and not out[1].any()
    assert dilate(x, 2)[0].all()


def test_the_first_group_that_holds_a_token_wins():
    member = np.array([[1, 0, 1, 0], [1, 1, 0, 0]], bool)  # hands, arms
    priority, counts = priority_levels(member)
    assert priority.tolist() == [2, 1, 2, 0] and counts == [1, 1, 2]


@pytest.mark.parametrize('counts, budget, plan', [
    ([10, 3, 2], 8, (0, 3, 10)),  # every priority token fits: 3 of the others
    ([10, 3, 2], 4, (1, 2, 3)),  # the hands fit, 2 of the 3 arm tokens
    ([10, 3, 2], 1, (2, 1, 2)),  # not even the hands: 1 of 2
])
def test_selection_plan(counts, budget, plan):
    assert selection_plan(counts, budget) == plan


def test_select_tokens_masks_by_priority_then_at_random():
    priority = np.array([2, 1, 1, 1, 0, 0], np.int8)
    np.random.seed(0)
    mask = select_tokens(priority, [2, 3, 1], 3)
    assert mask.sum() == 3 and mask[0] and not mask[4:].any()
