"""The compiled hand-arm mask (``csrc/hand_arm_priority.c``, built by ``pip install -e .``).

One C call does steps 1-3 of the hand-arm mask (:mod:`signmae_mm.ops.hand_arm` states the
method) that the NumPy reference (:mod:`.hand_arm_numpy`) does in about forty NumPy calls:

* pooling: the part maps' group sums per tubelet, area-pooled through the recorded crop / flip
  onto the token grid (float32 weights, as the reference's matmuls); empty map cells, most of a
  signer's frame, are skipped;
* priority: threshold, square dilation per time slot, first group wins;
* selection: the same plan as :func:`.hand_arm_numpy.selection_plan` and Floyd's sampling from
  uniforms that it asks ``numpy.random.random`` for, in the same arithmetic as
  :func:`.token_sampling.floyd_subset`, so mmengine's seeding applies and both backends pick the
  same tokens.

The extension takes arrays through the buffer protocol (no NumPy headers), so it builds
against the Python headers alone; it is optional (``HAS_COMPILED_OPS``), and
:func:`signmae_mm.ops.hand_arm.hand_arm_backend` falls back to NumPy without it.
"""
from typing import Optional, Tuple

import numpy as np

try:
    from ._hand_arm_priority import hand_arm_mask as _mask_kernel
    from ._hand_arm_priority import hand_arm_priority as _kernel
    from ._hand_arm_priority import select_mask as _select_kernel
except ImportError:  # built without a C compiler: the NumPy reference is used
    _kernel = _mask_kernel = _select_kernel = None

__all__ = ['HAS_COMPILED_OPS', 'hand_arm_priority', 'hand_arm_mask', 'select_by_priority']

#: Whether the compiled ops are importable.
HAS_COMPILED_OPS = _kernel is not None

_NOT_BUILT = ('signmae_mm.ops: the compiled op was not built (no C compiler at install time?); '
              'reinstall with `pip install -e .` or use the NumPy path')


def _query(maps: np.ndarray, geometry, t_slots: int, spec) -> Tuple[tuple, int]:
    """The 21 leading arguments of both C entry points, and the clip's token count."""
    t, p, gh, gw = maps.shape
    (out_h, out_w), (ph, pw) = geometry.out_hw, spec.patch_size
    query = (maps, t, p, gh, gw, spec.group_table, t_slots, spec.tubelet_size, int(spec.mean),
             *geometry.crop, out_h, out_w, int(geometry.flip_h), int(geometry.flip_v), ph, pw,
             spec.threshold_units, spec.dilation)
    return query, t_slots * (out_h // ph) * (out_w // pw)


def hand_arm_priority(maps: np.ndarray,
                      geometry,
                      t_slots: int,
                      spec,
                      coverage: Optional[np.ndarray] = None) -> Tuple[np.ndarray, tuple]:
    """Priority level of every token of a clip (steps 1-2, compiled).

    Args:
        maps (np.ndarray): ``(T, P, Gh, Gw)`` uint8 part maps, C-contiguous,
            ``T >= t_slots * tubelet_size`` (only the first ``t_slots * tubelet_size`` frames
            are used), ``P == spec.num_parts``.
        geometry (ClipGeometry): ``crop`` ``(x, y, w, h)`` (fractions of the video frame),
            ``out_hw`` (the clip's ``(H, W)``), ``flip_h`` / ``flip_v`` (after the crop).
        t_slots (int): Token time slots ``T'``.
        spec (HandArmSpec): The settings (groups, token size, threshold, dilation, pooling).
        coverage (np.ndarray, optional): ``(L, T', Hp, Wp)`` float32 C-contiguous array that
            receives the pooled coverage, in summed map units (``spec.full_units`` is full).

    Returns:
        tuple[np.ndarray, tuple[int, ...]]: ``(N,)`` int8 priorities (``L`` for the first group,
        ... ``1`` for the last, ``0`` for none; tokens in ``(t, h, w)`` order) and the count of
        tokens at each level ``0..L``.

    Raises:
        RuntimeError: The extension was not built.
        ValueError: Inconsistent sizes (maps, groups, grid).
    """
    if _kernel is None:
        raise RuntimeError(_NOT_BUILT)
    query, n = _query(maps, geometry, t_slots, spec)
    priority = np.empty(n, np.int8)
    counts = _kernel(*query, priority) if coverage is None else _kernel(
        *query, priority, coverage)
    return priority, counts


def hand_arm_mask(maps: np.ndarray, geometry, t_slots: int, budget: int,
                  spec) -> Tuple[Optional[np.ndarray], tuple]:
    """The hand-arm mask of a clip (steps 1-3, compiled).

    ``budget`` tokens are masked: the first priority group's, then the next, ..., then others;
    a uniformly random subset of the first group that does not fit, from
    ``numpy.random.random`` (called once, only when some token has a priority).

    Args:
        maps, geometry, t_slots, spec: As :func:`hand_arm_priority`.
        budget (int): Tokens to mask, ``0 <= budget <= N``.

    Returns:
        tuple[np.ndarray | None, tuple[int, ...]]: ``(N,)`` bool mask, or None when no token
        has a priority (the caller's fallback), and the count of tokens at each level.
    """
    if _mask_kernel is None:
        raise RuntimeError(_NOT_BUILT)
    query, n = _query(maps, geometry, t_slots, spec)
    mask = np.empty(n, bool)
    counts = _mask_kernel(*query, budget, np.random.random, mask)
    return (None if counts[0] == n else mask), counts


def select_by_priority(priority: np.ndarray, level: int, m: int, pop: int,
                       uniforms: np.ndarray) -> np.ndarray:
    """Step 3 alone, from token priorities (compiled).

    Tokens above ``level`` are masked, tokens below it are not, and ``m`` of the ``pop`` tokens
    at ``level`` are: a uniformly random subset picked by Floyd's algorithm from ``uniforms``
    (``min(m, pop - m)`` floats in ``[0, 1)``; the picked ones are masked when
    ``m <= pop - m``, else they are the ones left visible).

    Args:
        priority (np.ndarray): ``(N,)`` int8 from :func:`hand_arm_priority`.
        level (int): The level that is partly masked.
        m (int): Tokens to mask at ``level``.
        pop (int): Tokens at ``level``.
        uniforms (np.ndarray): ``(min(m, pop - m),)`` float64.

    Returns:
        np.ndarray: ``(N,)`` bool mask.
    """
    if _select_kernel is None:
        raise RuntimeError(_NOT_BUILT)
    mask = np.empty(priority.size, bool)
    _select_kernel(priority, level, m, pop, uniforms, mask)
    return mask
