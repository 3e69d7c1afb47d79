"""Random token sets drawn from ``numpy.random``: the sampling steps of every token mask.

All draws come from ``numpy.random`` (the global state), as in mmaction2's transforms, so
mmengine's seeding (``randomness=dict(seed=...)``, per-worker seeds, ``SeededSampler``) makes the
masks reproducible. The order and number of draws of each function is part of its contract:
changing them changes every seeded mask.
"""
import numpy as np

__all__ = ['sample_distinct', 'floyd_subset', 'tube_mask', 'random_mask', 'topped_up_tube_mask',
           'round_half_up']


def round_half_up(x: float) -> int:
    """``x`` rounded half up (``round`` rounds half to even; a token count must not depend on
    that subtlety).

    Args:
        x (float): A non-negative number.

    Returns:
        int: ``floor(x + 0.5)``, robust to the float error of ``ratio * N``.
    """
    return int(np.floor(x + 0.5 + 1e-9))


def sample_distinct(n: int, k: int) -> np.ndarray:
    """``k`` distinct integers drawn uniformly from ``range(n)`` (in no particular order).

    Cheaper than ``np.random.permutation(n)[:k]`` or an ``argpartition`` of ``n`` random keys
    when ``k`` is much smaller than ``n`` (for ``k > n / 2`` it draws the ``n - k`` left out):
    ``m`` values are drawn with replacement; given its size ``c``, the set of distinct values is
    a uniformly random ``c``-subset (by symmetry), and when ``c > k`` a uniformly random
    ``k``-subset of it is kept; when ``c < k`` it draws again with a larger ``m``.

    Args:
        n (int): Population size.
        k (int): Sample size, ``0 <= k <= n``.

    Returns:
        np.ndarray: ``(k,)`` int indices.
    """
    if not 0 <= k <= n:
        raise ValueError(f'cannot draw {k} distinct items from {n}')
    if 2 * k > n:
        keep = np.ones(n, dtype=bool)
        keep[sample_distinct(n, n - k)] = False
        return np.flatnonzero(keep)
    # m draws give about n * (1 - exp(-m / n)) distinct values; aim a little above k
    m = k + (k * k) // max(2 * (n - k), 1) + 8
    while True:
        hit = np.zeros(n, dtype=bool)
        hit[(np.random.random(m) * n).astype(np.intp)] = True
        found = np.flatnonzero(hit)
        if found.size >= k:
            if found.size > k:
                found = found[np.random.permutation(found.size)[:k]]
            return found
        m += m // 4 + 4


def floyd_subset(pop: int, uniforms: np.ndarray) -> np.ndarray:
    """A uniformly random ``k``-subset of ``range(pop)``, ``k = len(uniforms)`` (Floyd's algorithm).

    Deterministic given the uniforms: the compiled op (``signmae_mm.ops.select_by_priority``)
    runs the same steps in the same floating-point arithmetic, so both pick the same subset.

    Args:
        pop (int): Population size.
        uniforms (np.ndarray): ``(k,)`` floats in ``[0, 1)``, ``k <= pop``.

    Returns:
        np.ndarray: ``(k,)`` distinct int indices (in no particular order).
    """
    chosen = set()
    k = len(uniforms)
    for j, u in zip(range(pop - k, pop), uniforms.tolist()):
        t = int(u * (j + 1))
        chosen.add(j if t in chosen else t)
    return np.fromiter(chosen, np.intp, k)


def tube_mask(num_slots: int, num_cells: int, per_slot: int) -> np.ndarray:
    """VideoMAE tube mask: one random spatial mask of ``per_slot`` cells, repeated in time.

    Args:
        num_slots (int): Time slots ``T // tubelet``.
        num_cells (int): Spatial tokens per slot ``Hp * Wp``.
        per_slot (int): Masked cells per slot.

    Returns:
        np.ndarray: ``(num_slots * num_cells,)`` bool, tokens in ``(t, h, w)`` order.
    """
    spatial = np.zeros(num_cells, dtype=bool)
    spatial[np.random.permutation(num_cells)[:per_slot]] = True
    return np.tile(spatial, num_slots)


def random_mask(num_tokens: int, num_masked: int) -> np.ndarray:
    """``num_masked`` tokens out of ``num_tokens``, uniformly at random.

    Args:
        num_tokens (int): Tokens of the clip.
        num_masked (int): Tokens to mask.

    Returns:
        np.ndarray: ``(num_tokens,)`` bool.
    """
    if 2 * num_masked > num_tokens:  # draw the visible tokens, the fewer
        mask = np.ones(num_tokens, dtype=bool)
        mask[sample_distinct(num_tokens, num_tokens - num_masked)] = False
    else:
        mask = np.zeros(num_tokens, dtype=bool)
        mask[sample_distinct(num_tokens, num_masked)] = True
    return mask


def topped_up_tube_mask(num_slots: int, num_cells: int, budget: int) -> np.ndarray:
    """A tube mask of ``budget // num_slots`` cells per slot, topped up at random to exactly
    ``budget`` tokens (the hand-arm mask's fallback keeps its token count this way).

    Args:
        num_slots (int): Time slots ``T // tubelet``.
        num_cells (int): Spatial tokens per slot ``Hp * Wp``.
        budget (int): Tokens to mask, at most ``num_slots * num_cells``.

    Returns:
        np.ndarray: ``(num_slots * num_cells,)`` bool with ``budget`` True entries.
    """
    mask = tube_mask(num_slots, num_cells, budget // num_slots)
    extra = budget - num_slots * (budget // num_slots)
    if extra:
        rest = np.flatnonzero(~mask)
        mask[rest[sample_distinct(rest.size, extra)]] = True
    return mask
