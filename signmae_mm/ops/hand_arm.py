"""SignMAE's hand-arm mask: which tokens of a clip to hide, from its body-part maps.

The algorithm, per clip (the method of SignMAE; :class:`SegmentGuidedHandMask` is the pipeline
transform that feeds it from ``results``):

1. **Pooling.** The part maps (``(T, P, Gh, Gw)``, values 0-``map_scale``, in the video's pixel
   frame) are summed over the part groups of each priority group (for segmentation maps, whose
   classes do not overlap, the sum of fractions is the fraction of the union) and summed
   (``temporal_pool='mean'``) or maxed (``'max'``) over the frames of each tubelet; then mapped
   through the recorded crop / resize / flip (a :class:`ClipGeometry`) and area-pooled onto the
   final token grid. A token's coverage is the fraction of its pixels, in the tensor the model
   sees, that show the group.
2. **Priority.** A token belongs to a priority group when its coverage reaches ``coverage_thr``;
   each group's tokens are grown by ``dilation`` cells (a square, per time slot); a token counts
   for the first group that holds it. Its priority is ``L`` for the first of ``L`` groups, ...,
   ``1`` for the last, ``0`` for none.
3. **Selection.** Exactly ``budget`` tokens are masked: the first group's, then the next, ...,
   then uniformly random others; of the first group that does not fit in what is left, a
   uniformly random subset (Floyd's algorithm on uniforms from ``numpy.random.random``).

4. **Visible slots** (``visible_slots``, optional). In that many time slots, drawn at random per
   clip, the first group's tokens are left visible, and the same number of other tokens (neither
   masked nor revealed, uniformly at random) are masked instead, so the count stays ``budget``.
   Why: with every hand token masked in every slot, the encoder never sees a hand (at ratio 0.9
   on the demo, not one visible hand token in 200 clips), so nothing asks it to represent a
   hand's shape; a hand seen in one slot and predicted in the others, where it has moved, does.

When no token has a priority the result holds no mask and the caller falls back (the transform
uses a tube mask of the same size).

Two backends compute it, with the same priorities and, from the same ``numpy.random`` state,
the same masks (tested): the compiled op of :mod:`.hand_arm_priority` (about 4x faster; built by
``pip install -e .`` when a C compiler is present) and the NumPy reference of
:mod:`.hand_arm_numpy`. :func:`hand_arm_backend` is the one place that chooses between them.
"""
from dataclasses import dataclass
from functools import cached_property
from typing import List, NamedTuple, Optional, Tuple

import numpy as np

from . import hand_arm_numpy, hand_arm_priority
from .hand_arm_priority import HAS_COMPILED_OPS

__all__ = ['BACKENDS', 'HandArmSpec', 'HandArmMask', 'hand_arm_backend', 'hand_arm_coverage',
           'hand_arm_token_mask', 'reveal_slots']

#: The values of :attr:`HandArmSpec.backend`.
BACKENDS = ('auto', 'compiled', 'numpy')


@dataclass(frozen=True)
class HandArmSpec:
    """The settings of the hand-arm mask (everything but the clip itself).

    Args:
        priority_groups (tuple[tuple[int, ...], ...]): Ordered priority groups, each a tuple of
            part-group indices (channels of the part maps), first group first.
        num_parts (int): Part groups ``P`` of the maps.
        tubelet_size (int): Frames per token. Defaults to 2.
        patch_size (tuple[int, int]): Pixels per token side ``(ph, pw)``. Defaults to (16, 16).
        coverage_thr (float): Covered fraction of a token from which it counts for a group,
            in ``(0, 1]``. Defaults to 0.1.
        dilation (int): Square dilation radius in token cells, per time slot. Defaults to 0.
        temporal_pool (str): ``'mean'`` (coverage of the whole tubelet) or ``'max'`` (of its
            most covered frame). Defaults to ``'mean'``.
        map_scale (int): Part-map value of a fully covered cell. Defaults to 255.
        visible_slots (int): Time slots per clip in which the first group's tokens stay
            visible (step 4). Defaults to 0 (masked in every slot).
        backend (str): ``'auto'`` (compiled when built and the maps are uint8, else NumPy),
            ``'compiled'`` (an error at construction when not built) or ``'numpy'``.
            Defaults to ``'auto'``.
    """
    priority_groups: Tuple[Tuple[int, ...], ...]
    num_parts: int
    tubelet_size: int = 2
    patch_size: Tuple[int, int] = (16, 16)
    coverage_thr: float = 0.1
    dilation: int = 0
    temporal_pool: str = 'mean'
    map_scale: int = 255
    backend: str = 'auto'
    visible_slots: int = 0

    def __post_init__(self) -> None:
        if not self.priority_groups or any(not g for g in self.priority_groups):
            raise ValueError('HandArmSpec: priority_groups must be non-empty groups of parts')
        if any(not 0 <= p < self.num_parts for g in self.priority_groups for p in g):
            raise ValueError(f'HandArmSpec: a part index is outside the {self.num_parts} parts')
        if self.tubelet_size < 1 or min(self.patch_size) < 1:
            raise ValueError('HandArmSpec: tubelet and patch sizes must be >= 1')
        if not 0.0 < self.coverage_thr <= 1.0:
            raise ValueError(f'HandArmSpec: coverage_thr must be in (0, 1], got '
                             f'{self.coverage_thr}')
        if self.dilation < 0:
            raise ValueError(f'HandArmSpec: dilation must be >= 0, got {self.dilation}')
        if self.temporal_pool not in ('mean', 'max'):
            raise ValueError(f"HandArmSpec: temporal_pool must be 'mean' or 'max', got "
                             f'{self.temporal_pool!r}')
        if self.visible_slots < 0:
            raise ValueError(f'HandArmSpec: visible_slots must be >= 0, got '
                             f'{self.visible_slots}')
        if self.backend not in BACKENDS:
            raise ValueError(f'HandArmSpec: backend must be one of {BACKENDS}, got '
                             f'{self.backend!r}')
        if self.backend == 'compiled' and not HAS_COMPILED_OPS:
            raise RuntimeError('HandArmSpec: backend="compiled" but signmae_mm.ops was built '
                               'without its C extension (no C compiler at install time?); '
                               'reinstall with `pip install -e .` or use backend="auto"')

    @property
    def num_groups(self) -> int:
        """Priority groups ``L``."""
        return len(self.priority_groups)

    @property
    def mean(self) -> bool:
        """Whether coverage is over the whole tubelet (``temporal_pool='mean'``)."""
        return self.temporal_pool == 'mean'

    @cached_property
    def full_units(self) -> int:
        """Coverage of a fully covered token in summed map units: exact integers until the
        pooling (``map_scale`` per frame, summed over the tubelet's frames for ``'mean'``)."""
        return self.map_scale * (self.tubelet_size if self.mean else 1)

    @cached_property
    def threshold_units(self) -> float:
        """``coverage_thr`` in summed map units."""
        return self.coverage_thr * self.full_units

    @cached_property
    def group_table(self) -> bytes:
        """``L * P`` membership bytes, row-major: 1 where part ``p`` is in group ``l``."""
        return bytes(int(p in g) for g in self.priority_groups for p in range(self.num_parts))

    @cached_property
    def group_slices(self) -> List[Optional[slice]]:
        """Per group, the slice of its parts when they are contiguous (reduced through views,
        without a copy), else None."""
        return [slice(g[0], g[-1] + 1) if list(g) == list(range(g[0], g[-1] + 1)) else None
                for g in self.priority_groups]


class HandArmMask(NamedTuple):
    """The hand-arm mask of a clip.

    Attributes:
        mask (np.ndarray | None): ``(N,)`` bool, True = masked, tokens in ``(t, h, w)`` order;
            None when no token has a priority (the caller's fallback).
        counts (tuple[int, ...]): Tokens at each priority level ``0..L`` (``counts[L]`` for the
            first group).
        revealed (int): First-group tokens left visible by ``visible_slots`` (step 4).
    """
    mask: Optional[np.ndarray]
    counts: Tuple[int, ...]
    revealed: int = 0


def hand_arm_backend(spec: HandArmSpec, maps: np.ndarray) -> str:
    """The backend that computes the mask of ``maps``: ``'compiled'`` or ``'numpy'``.

    The compiled op takes uint8 maps only; other dtypes (e.g. float maps of a custom loader)
    go through NumPy, whatever the spec asks.

    Args:
        spec (HandArmSpec): The settings (its ``backend``).
        maps (np.ndarray): The clip's part maps.

    Returns:
        str: ``'compiled'`` or ``'numpy'``.
    """
    if spec.backend != 'numpy' and HAS_COMPILED_OPS and maps.dtype == np.uint8:
        return 'compiled'
    return 'numpy'


def hand_arm_coverage(maps: np.ndarray, geometry, t_slots: int,
                      spec: HandArmSpec) -> np.ndarray:
    """Covered fraction of every token by every priority group (step 1).

    Args:
        maps (np.ndarray): ``(T, P, Gh, Gw)`` part maps, ``T >= t_slots * tubelet_size``.
        geometry (ClipGeometry): The crop / resize / flip from the video frame to the clip.
        t_slots (int): Token time slots ``T'`` of the clip.
        spec (HandArmSpec): The settings.

    Returns:
        np.ndarray: ``(L, T', Hp, Wp)`` float32 fractions in ``[0, 1]``.
    """
    if hand_arm_backend(spec, maps) == 'compiled':
        hp, wp = (s // p for s, p in zip(geometry.out_hw, spec.patch_size))
        cov = np.empty((spec.num_groups, t_slots, hp, wp), np.float32)
        hand_arm_priority.hand_arm_priority(maps, geometry, t_slots, spec, coverage=cov)
    else:
        cov = hand_arm_numpy.pooled_coverage(maps, geometry, t_slots, spec)
    return cov / np.float32(spec.full_units)


def hand_arm_token_mask(maps: np.ndarray, geometry, t_slots: int, budget: int,
                        spec: HandArmSpec) -> HandArmMask:
    """The hand-arm mask of a clip (steps 1-3, and 4 with ``spec.visible_slots``), by the backend
    :func:`hand_arm_backend` picks.

    Args:
        maps (np.ndarray): ``(T, P, Gh, Gw)`` part maps, ``T >= t_slots * tubelet_size``.
        geometry (ClipGeometry): The crop / resize / flip from the video frame to the clip.
        t_slots (int): Token time slots ``T'`` of the clip.
        budget (int): Tokens to mask.
        spec (HandArmSpec): The settings.

    Returns:
        HandArmMask: The mask (None when no token has a priority) and the level counts.
    """
    compiled = hand_arm_backend(spec, maps) == 'compiled'
    if not spec.visible_slots:
        backend = hand_arm_priority if compiled else hand_arm_numpy
        mask, counts = backend.hand_arm_mask(maps, geometry, t_slots, budget, spec)
        return HandArmMask(mask, tuple(counts))
    # Step 4 needs the first group's tokens: the priorities once, then steps 3 and 4 on them
    # (step 3 draws as the one-call mask does, so the masks before step 4 are the same).
    priority_of = (hand_arm_priority.hand_arm_priority if compiled else
                   hand_arm_numpy.token_priority)
    priority, counts = priority_of(maps, geometry, t_slots, spec)
    if counts[0] == priority.size:
        return HandArmMask(None, tuple(counts))
    mask = hand_arm_numpy.select_tokens(priority, counts, budget)
    hp, wp = (s // p for s, p in zip(geometry.out_hw, spec.patch_size))
    mask, revealed = reveal_slots(mask.reshape(t_slots, hp, wp),
                                  (priority == spec.num_groups).reshape(t_slots, hp, wp),
                                  spec.visible_slots)
    return HandArmMask(mask.reshape(-1), tuple(counts), revealed)


def reveal_slots(mask: np.ndarray, member: np.ndarray,
                 visible_slots: int) -> Tuple[np.ndarray, int]:
    """Step 4: leave ``member`` tokens of random time slots visible, keeping the mask's count.

    Random draws use NumPy's global state (``numpy.random``), as the selection does, so a
    seeded pipeline gives the same masks.

    Args:
        mask (np.ndarray): ``(T', Hp, Wp)`` bool, True = masked.
        member (np.ndarray): ``(T', Hp, Wp)`` bool, the first priority group's tokens.
        visible_slots (int): Time slots to reveal (all of them when it exceeds ``T'``).

    Returns:
        tuple[np.ndarray, int]: The new ``(T', Hp, Wp)`` mask (same count of True) and the
        number of tokens revealed (fewer than the slots' members when too few other tokens are
        left visible to take their place).
    """
    t_slots = mask.shape[0]
    slots = np.random.permutation(t_slots)[:min(int(visible_slots), t_slots)]
    keep = np.zeros_like(member)
    keep[slots] = member[slots]
    flat = mask.reshape(-1).copy()
    reveal = np.flatnonzero(flat & keep.reshape(-1))
    spare = np.flatnonzero(~flat & ~keep.reshape(-1))
    n = min(len(reveal), len(spare))
    if n < len(reveal):
        reveal = reveal[np.random.permutation(len(reveal))[:n]]
    flat[reveal] = False
    flat[spare[np.random.permutation(len(spare))[:n]]] = True
    return flat.reshape(mask.shape), int(n)
