"""The random draws of the token masks: uniform subsets, exact counts, the same draws."""
import itertools
from collections import Counter

import numpy as np
import pytest

from signmae_mm.ops import (floyd_subset, random_mask, round_half_up, sample_distinct,
                            topped_up_tube_mask, tube_mask)


@pytest.mark.parametrize('n, k', [(20, 3), (20, 10), (20, 17), (1300, 157)])
def test_sample_distinct_is_uniform(n, k):
    np.random.seed(0)
    hits = np.zeros(n)
    pairs = np.zeros((n, n))
    draws = 3000
    for _ in range(draws):
        s = sample_distinct(n, k)
        assert s.size == k and np.unique(s).size == k and 0 <= s.min() and s.max() < n
        hits[s] += 1
        if n <= 20:
            pairs[np.ix_(s, s)] += 1
    p = k / n  # each item with probability k / n; tolerance ~4.5 standard deviations
    assert np.abs(hits / draws - p).max() < 4.5 * np.sqrt(p * (1 - p) / draws)
    if n <= 20:  # pairs too: P(i and j) = k (k - 1) / (n (n - 1))
        q = k * (k - 1) / (n * (n - 1))
        off = pairs[~np.eye(n, dtype=bool)] / draws
        assert np.abs(off - q).max() < 4.5 * np.sqrt(q * (1 - q) / draws) + 1e-9
    assert sample_distinct(5, 0).size == 0 and sorted(sample_distinct(5, 5)) == list(range(5))
    with pytest.raises(ValueError, match='cannot draw 6 distinct items from 5'):
        sample_distinct(5, 6)


@pytest.mark.parametrize('pop,k', [(5, 2), (6, 3), (4, 1)])
def test_floyd_subset_is_uniform(pop, k):
    rng = np.random.RandomState(0)
    draws = 6000
    seen = Counter(tuple(sorted(floyd_subset(pop, rng.random_sample(k)).tolist()))
                   for _ in range(draws))
    subsets = list(itertools.combinations(range(pop), k))
    assert set(seen) == set(subsets)
    expected = draws / len(subsets)
    chi2 = sum((seen[s] - expected) ** 2 / expected for s in subsets)
    # 99.9th percentile of chi-square with len(subsets) - 1 <= 19 degrees of freedom is < 44
    assert chi2 < 44, (chi2, seen)


def test_masks_have_exact_counts_and_their_shapes():
    np.random.seed(1)
    tube = tube_mask(4, 16, 5).reshape(4, 16)
    assert (tube == tube[0]).all() and tube[0].sum() == 5
    assert random_mask(64, 40).sum() == 40 and random_mask(64, 10).sum() == 10
    topped = topped_up_tube_mask(4, 16, 23)
    # 5 cells per slot repeated (20 tokens), then 3 more at random among the others
    assert topped.sum() == 23 and topped.reshape(4, 16).sum(1).min() == 5


def test_round_half_up_ignores_float_error():
    assert round_half_up(0.5) == 1 and round_half_up(2.5) == 3  # round() gives 0 and 2
    assert round_half_up(0.9 * 1568) == 1411  # 1411.2
    assert round_half_up(0.75 * 64 / 3 * 3) == 48
