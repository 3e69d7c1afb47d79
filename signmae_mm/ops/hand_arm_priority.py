"""Compiled per-token priority of the hand-arm mask (``csrc/hand_arm_priority.c``).

The C op computes, in one call, what ``SegmentGuidedHandMask``'s NumPy path computes in about
forty NumPy calls: group sums of the part maps per tubelet, area pooling through the recorded
crop / flip onto the token grid, threshold, dilation, the per-token priority level and the
selection of the masked tokens (Floyd's sampling from uniforms that ``numpy.random`` draws, so
mmengine's seeding applies). The mask transform uses it when the extension was built at install
time (``pip install -e .`` compiles it; see ``setup.py``) and its maps are uint8. Both paths give
the same priorities and, from the same random state, the same masks (tested);
``SegmentGuidedHandMask(backend=...)`` picks a path explicitly.
"""
from typing import Optional, Sequence, Tuple

import numpy as np

try:
    from ._hand_arm_priority import hand_arm_mask as _mask_kernel
    from ._hand_arm_priority import hand_arm_priority as _kernel
    from ._hand_arm_priority import select_mask as _select_kernel
except ImportError:  # built without a C compiler: callers use their NumPy path
    _kernel = _mask_kernel = _select_kernel = None

__all__ = ['HAS_COMPILED_OPS', 'hand_arm_priority', 'hand_arm_mask', 'select_by_priority']

#: Whether the compiled ops are importable.
HAS_COMPILED_OPS = _kernel is not None

_NOT_BUILT = ('signmae_mm.ops: the compiled op was not built (no C compiler at install time?); '
              'reinstall with `pip install -e .` or use the NumPy path')


def _query(maps: np.ndarray, group_table: bytes, t_slots: int, tubelet: int, mean: bool,
           crop: Sequence[float], out_hw: Tuple[int, int], flip: Tuple[bool, bool],
           patch_hw: Tuple[int, int], threshold: float, dilation: int) -> Tuple[tuple, int]:
    """The 21 leading arguments that both C entry points take, and the clip's token count."""
    t, p, gh, gw = maps.shape
    (out_h, out_w), (ph, pw) = out_hw, patch_hw
    query = (maps, t, p, gh, gw, group_table, t_slots, tubelet, int(mean), *crop, out_h, out_w,
             int(flip[0]), int(flip[1]), ph, pw, threshold, dilation)
    return query, t_slots * (out_h // ph) * (out_w // pw)


def hand_arm_priority(maps: np.ndarray,
                      group_table: bytes,
                      t_slots: int,
                      tubelet: int,
                      mean: bool,
                      crop: Sequence[float],
                      out_hw: Tuple[int, int],
                      flip: Tuple[bool, bool],
                      patch_hw: Tuple[int, int],
                      threshold: float,
                      dilation: int,
                      coverage: Optional[np.ndarray] = None) -> Tuple[np.ndarray, tuple]:
    """Priority level of every token of a clip (compiled).

    Args:
        maps (np.ndarray): ``(T, P, Gh, Gw)`` uint8 part maps of the clip's frames, C-contiguous,
            ``T >= t_slots * tubelet`` (only the first ``t_slots * tubelet`` frames are used).
        group_table (bytes): ``L * P`` bytes, non-zero where part group ``p`` belongs to priority
            group ``l`` (row-major).
        t_slots (int): Token time slots ``T'``.
        tubelet (int): Frames per token.
        mean (bool): Coverage of the whole tubelet (True) or of its most covered frame (False).
        crop (Sequence[float]): ``crop_quadruple`` ``(x, y, w, h)``, fractions of the frame.
        out_hw (tuple[int, int]): Final clip ``(H, W)``.
        flip (tuple[bool, bool]): Horizontal and vertical flips after the crop.
        patch_hw (tuple[int, int]): Pixels per token side ``(ph, pw)``.
        threshold (float): Coverage threshold in map units (sum of map values of the tubelet's
            frames, e.g. ``thr * 255 * tubelet`` for ``mean``).
        dilation (int): Square dilation radius in token cells, per time slot.
        coverage (np.ndarray, optional): ``(L, T', Hp, Wp)`` float32 C-contiguous array that
            receives the pooled coverage (map units).

    Returns:
        tuple[np.ndarray, tuple[int, ...]]: ``(N,)`` int8 priorities (``L`` for the first group,
        ... ``1`` for the last, ``0`` for none; tokens in ``(t, h, w)`` order) and the count of
        tokens at each level ``0..L``.
    """
    if _kernel is None:
        raise RuntimeError(_NOT_BUILT)
    query, n = _query(maps, group_table, t_slots, tubelet, mean, crop, out_hw, flip, patch_hw,
                      threshold, dilation)
    priority = np.empty(n, np.int8)
    counts = _kernel(*query, priority) if coverage is None else _kernel(
        *query, priority, coverage)
    return priority, counts


def hand_arm_mask(maps: np.ndarray, group_table: bytes, t_slots: int, tubelet: int, mean: bool,
                  crop: Sequence[float], out_hw: Tuple[int, int], flip: Tuple[bool, bool],
                  patch_hw: Tuple[int, int], threshold: float, dilation: int,
                  budget: int) -> Tuple[Optional[np.ndarray], tuple]:
    """The hand-arm mask of a clip (compiled): :func:`hand_arm_priority`, then the selection.

    ``budget`` tokens are masked: the first priority group's, then the next, ..., then others,
    a uniformly random subset of the first group that does not fit (see
    :func:`select_by_priority`), with ``numpy.random.random`` drawing the uniforms.

    Args:
        maps, group_table, t_slots, tubelet, mean, crop, out_hw, flip, patch_hw, threshold,
            dilation: As :func:`hand_arm_priority`.
        budget (int): Tokens to mask.

    Returns:
        tuple[np.ndarray | None, tuple[int, ...]]: ``(N,)`` bool mask, or None when no token
        has a priority (the caller's fallback), and the count of tokens at each level.
    """
    if _mask_kernel is None:
        raise RuntimeError(_NOT_BUILT)
    query, n = _query(maps, group_table, t_slots, tubelet, mean, crop, out_hw, flip, patch_hw,
                      threshold, dilation)
    mask = np.empty(n, bool)
    counts = _mask_kernel(*query, budget, np.random.random, mask)
    return (None if counts[0] == n else mask), counts


def select_by_priority(priority: np.ndarray, level: int, m: int, pop: int,
                       uniforms: np.ndarray) -> np.ndarray:
    """The hand-arm mask from token priorities (compiled).

    Tokens above ``level`` are masked, tokens below it are not, and ``m`` of the ``pop`` tokens
    at ``level`` are: a uniformly random subset picked by Floyd's algorithm from ``uniforms``
    (``min(m, pop - m)`` floats in ``[0, 1)``; the picked ones are masked when
    ``m <= pop - m``, else they are the ones left visible). The same steps as
    ``signmae_mm.datasets.transforms.masking.floyd_subset``, in the same arithmetic.

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
