"""Helpers of the demo-data tests: pixel-level checks of frames against part maps."""
from typing import Sequence, Tuple

import numpy as np

from signmae_mm.structures import PART_GROUPS

LEFT_HAND, RIGHT_HAND = PART_GROUPS.index('left_hand'), PART_GROUPS.index('right_hand')
FACE = PART_GROUPS.index('face')
#: The tiny demo set of the tests: 4 classes (two fine-grained pairs) x 6 videos of 16 frames.
TINY = dict(num_classes=4, videos_per_class=6, num_frames=16, size=112, seed=3)


def cells_to_pixels(maps: np.ndarray, img_shape: Tuple[int, int]) -> np.ndarray:
    """Per-pixel value of the grid cell each pixel centre falls in.

    Args:
        maps (np.ndarray): ``(..., Gh, Gw)``.
        img_shape (tuple[int, int]): ``(H, W)``.

    Returns:
        np.ndarray: ``(..., H, W)``.
    """
    gh, gw = maps.shape[-2:]
    h, w = img_shape
    rows = ((np.arange(h) + 0.5) * gh / h).astype(int)
    cols = ((np.arange(w) + 0.5) * gw / w).astype(int)
    return maps[..., rows[:, None], cols[None, :]]


def colour_mask(frames: np.ndarray, colours: Sequence[Sequence[int]], tol: float) -> np.ndarray:
    """Pixels within ``tol`` (Euclidean) of any of ``colours``; frames and colours in the same
    channel order. ``(T, H, W, 3)`` -> ``(T, H, W)`` bool."""
    f = frames.astype(np.float32)
    dist = np.min([np.linalg.norm(f - np.asarray(c, np.float32), axis=-1) for c in colours], 0)
    return dist < tol


def dilate_cells(mask: np.ndarray) -> np.ndarray:
    """Grow a ``(..., Gh, Gw)`` bool cell mask by one cell (8-neighbourhood)."""
    out = mask.copy()
    out[..., 1:, :] |= mask[..., :-1, :]
    out[..., :-1, :] |= mask[..., 1:, :]
    grown = out.copy()
    grown[..., :, 1:] |= out[..., :, :-1]
    grown[..., :, :-1] |= out[..., :, 1:]
    return grown


def hand_agreement(frames: np.ndarray, part_maps: np.ndarray, hand_colours: Sequence,
                   tol: float) -> dict:
    """How well hand-coloured pixels and the hand part maps agree.

    Returns:
        dict: ``outside``: share of hand-coloured pixels outside every hand and face cell;
        ``ratio``: hand-coloured pixels in hand cells without face / the area the hand maps
        claim for those cells; ``num_hand_pixels``.
    """
    t, h, w = frames.shape[:3]
    is_hand = colour_mask(frames, hand_colours, tol)
    hands = part_maps[:, [LEFT_HAND, RIGHT_HAND]].astype(np.float64).sum(1) / 255.0
    face = part_maps[:, FACE] > 0
    allowed = cells_to_pixels((hands > 0) | face, (h, w))
    outside = (is_hand & ~allowed).sum() / max(is_hand.sum(), 1)
    hand_only = (hands > 0) & ~face  # (T, Gh, Gw)
    gh, gw = part_maps.shape[-2:]
    claimed = (hands * hand_only).sum() * (h / gh) * (w / gw)
    seen = (is_hand & cells_to_pixels(hand_only, (h, w))).sum()
    return dict(outside=float(outside), ratio=float(seen / max(claimed, 1e-9)),
                num_hand_pixels=int(is_hand.sum()))


def near_colour(mask: np.ndarray, points: np.ndarray, radius: int = 1) -> np.ndarray:
    """Whether a ``(2 r + 1)^2`` window around each point holds a pixel of ``mask``.

    Args:
        mask (np.ndarray): ``(H, W)`` bool.
        points (np.ndarray): ``(N, 2)`` (x, y) pixels.
        radius (int): Window half size.

    Returns:
        np.ndarray: ``(N,)`` bool.
    """
    h, w = mask.shape
    out = np.zeros(len(points), bool)
    for dy in range(-radius, radius + 1):
        for dx in range(-radius, radius + 1):
            x = np.clip(np.rint(points[:, 0]).astype(int) + dx, 0, w - 1)
            y = np.clip(np.rint(points[:, 1]).astype(int) + dy, 0, h - 1)
            out |= mask[y, x]
    return out


__all__ = ['LEFT_HAND', 'RIGHT_HAND', 'FACE', 'TINY', 'cells_to_pixels', 'colour_mask',
           'dilate_cells',
           'hand_agreement', 'near_colour']
