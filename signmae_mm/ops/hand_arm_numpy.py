"""The NumPy reference of the hand-arm mask (the method: :mod:`signmae_mm.ops.hand_arm`).

Each step is a function, so that tests can hold the compiled op (:mod:`.hand_arm_priority`) to
it step by step; :func:`signmae_mm.ops.hand_arm.hand_arm_token_mask` picks the backend.
"""
from typing import List, Sequence, Tuple

import numpy as np

from .clip_geometry import cell_overlap_matrices
from .token_sampling import floyd_subset

__all__ = ['pooled_coverage', 'dilate', 'priority_levels', 'selection_plan', 'select_tokens',
           'hand_arm_mask']


def pooled_coverage(maps: np.ndarray, geometry, t_slots: int, spec) -> np.ndarray:
    """Step 1: each priority group's coverage of every token, in summed map units.

    Args:
        maps (np.ndarray): ``(T, P, Gh, Gw)`` part maps, ``T >= t_slots * tubelet_size``.
        geometry (ClipGeometry): The crop / resize / flip from the video frame to the clip.
        t_slots (int): Token time slots ``T'``.
        spec (HandArmSpec): The settings.

    Returns:
        np.ndarray: ``(L, T', Hp, Wp)`` float32; :attr:`HandArmSpec.full_units` is full cover.
    """
    tub, num_groups = spec.tubelet_size, spec.num_groups
    gh, gw = maps.shape[2:]
    frames = t_slots if spec.mean else t_slots * tub
    # (t', tubelet frame, part group, Gh, Gw) view of the frames that make whole tubelets
    used = maps[:t_slots * tub].reshape(t_slots, tub, maps.shape[1], gh, gw)
    # sum each priority group's part groups (and for 'mean' the tubelet's frames) in
    # integers, exact
    level = np.empty((num_groups, frames, gh, gw), dtype=np.float32)
    for i, (idx, sl) in enumerate(zip(spec.priority_groups, spec.group_slices)):
        part = used[:, :, sl] if sl is not None else used[:, :, list(idx)]
        if spec.mean:
            level[i] = part.sum(axis=(1, 2), dtype=np.uint16)
        else:
            level[i] = part.sum(axis=2, dtype=np.uint16).reshape(frames, gh, gw)
    ay, ax = cell_overlap_matrices(geometry, (gh, gw), spec.patch_size)
    hp, wp = ay.shape[0], ax.shape[0]
    # pool onto the token grid: Ay (Hp, Gh) on the Gh axis of every map, then one
    # (L*F*Hp, Gw) @ (Gw, Wp) product (a contiguous right operand is markedly faster)
    cov = np.matmul(ay, level.reshape(-1, gh, gw)).reshape(-1, gw)
    cov = (cov @ np.ascontiguousarray(ax.T)).reshape(num_groups, t_slots, -1, hp, wp)
    return cov[:, :, 0] if spec.mean else cov.max(2)


def dilate(x: np.ndarray, d: int) -> np.ndarray:
    """Binary dilation of the last two axes by a ``(2d+1) x (2d+1)`` square.

    Args:
        x (np.ndarray): ``(..., H, W)`` bool.
        d (int): Radius in cells, ``>= 1``.

    Returns:
        np.ndarray: Same shape, bool.
    """
    out = x.copy()
    for s in range(1, d + 1):
        out[..., s:, :] |= x[..., :-s, :]
        out[..., :-s, :] |= x[..., s:, :]
    res = out.copy()
    for s in range(1, d + 1):
        res[..., s:] |= out[..., :-s]
        res[..., :-s] |= out[..., s:]
    return res


def priority_levels(member: np.ndarray) -> Tuple[np.ndarray, List[int]]:
    """Step 2 from group membership: each token's priority and the count at each level.

    Args:
        member (np.ndarray): ``(L, N)`` bool, first group first.

    Returns:
        tuple[np.ndarray, list[int]]: ``(N,)`` int8 priorities (``L`` for the first group that
        holds a token, ..., ``1`` for the last, ``0`` none) and the counts of levels ``0..L``.
    """
    num_groups = member.shape[0]
    priority = member[-1].astype(np.int8)
    for level in range(2, num_groups + 1):
        priority[member[-level]] = level
    return priority, np.bincount(priority, minlength=num_groups + 1).tolist()


def selection_plan(counts: Sequence[int], budget: int) -> Tuple[int, int, int]:
    """Step 3's plan: ``(level, m, pop)``: tokens above ``level`` are masked, none below it,
    and ``m`` of the ``pop`` tokens at ``level``.

    Args:
        counts (Sequence[int]): Tokens at each level ``0..L``.
        budget (int): Tokens to mask.

    Returns:
        tuple[int, int, int]: ``(level, m, pop)``.
    """
    n = sum(counts)
    if n - counts[0] <= budget:  # the usual case: every priority token fits
        return 0, budget - (n - counts[0]), counts[0]
    left = budget
    for level in range(len(counts) - 1, 0, -1):
        if counts[level] >= left:  # the first group that does not fit: a subset of it
            return level, left, counts[level]
        left -= counts[level]
    raise AssertionError('unreachable: the priority tokens exceed the budget')


def select_tokens(priority: np.ndarray, counts: Sequence[int], budget: int) -> np.ndarray:
    """Step 3: mask the priority groups in order, then uniformly random other tokens.

    Draws ``min(m, pop - m)`` uniforms from ``numpy.random.random`` (see
    :func:`selection_plan`) and picks the smaller side (masked or left visible among the
    level's tokens) by Floyd's algorithm, as the compiled ``select_by_priority`` does.

    Args:
        priority (np.ndarray): ``(N,)`` int8 from :func:`priority_levels`.
        counts (Sequence[int]): Its level counts.
        budget (int): Tokens to mask.

    Returns:
        np.ndarray: ``(N,)`` bool mask with ``budget`` True entries.
    """
    level, m, pop = selection_plan(counts, budget)
    uniforms = np.random.random(min(m, pop - m))
    mask = priority > level
    idx = np.flatnonzero(priority == level)
    chosen = idx[floyd_subset(pop, uniforms)]
    if m <= pop - m:
        mask[chosen] = True
    else:
        mask[idx] = True
        mask[chosen] = False
    return mask


def token_priority(maps: np.ndarray, geometry, t_slots: int,
                   spec) -> Tuple[np.ndarray, List[int]]:
    """Steps 1-2 in NumPy (the reference of the compiled ``hand_arm_priority``).

    Args:
        maps (np.ndarray): ``(T, P, Gh, Gw)`` part maps.
        geometry (ClipGeometry): The crop / resize / flip from the video frame to the clip.
        t_slots (int): Token time slots ``T'``.
        spec (HandArmSpec): The settings.

    Returns:
        tuple[np.ndarray, list[int]]: ``(N,)`` int8 priorities (see :func:`priority_levels`)
        and the level counts.
    """
    member = pooled_coverage(maps, geometry, t_slots, spec) >= spec.threshold_units
    if spec.dilation:
        member = dilate(member, spec.dilation)
    return priority_levels(member.reshape(spec.num_groups, -1))


def hand_arm_mask(maps: np.ndarray, geometry, t_slots: int, budget: int,
                  spec) -> Tuple[np.ndarray, List[int]]:
    """Steps 1-3 in NumPy (the reference of the compiled ``hand_arm_mask``).

    Args:
        maps (np.ndarray): ``(T, P, Gh, Gw)`` part maps.
        geometry (ClipGeometry): The crop / resize / flip from the video frame to the clip.
        t_slots (int): Token time slots ``T'``.
        budget (int): Tokens to mask.
        spec (HandArmSpec): The settings.

    Returns:
        tuple[np.ndarray | None, list[int]]: ``(N,)`` bool mask (None when no token has a
        priority; nothing is drawn then) and the level counts.
    """
    priority, counts = token_priority(maps, geometry, t_slots, spec)
    if counts[0] == priority.size:
        return None, counts
    return select_tokens(priority, counts, budget), counts
