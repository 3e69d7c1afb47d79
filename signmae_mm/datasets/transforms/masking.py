"""Token masks for masked video pretraining: tube, random and the SignMAE hand-arm mask.

Every mask transform writes ``results['mask']``: a bool array ``(N,)``,
``N = (T // tubelet) * (H // patch) * (W // patch)`` for the final clip (``T`` frames of
``H x W`` pixels), tokens in ``(t, h, w)`` row-major order (the order of
``Conv3d(kernel=stride=(tubelet, patch, patch))(x).flatten(2)``), ``True`` = masked (hidden from
the encoder). All clips under one configuration mask the same number of tokens, so batches stack.
Masked pretraining takes one clip per sample (``num_clips == 1``).

Metadata written next to the mask (list them in ``PackActionInputs(meta_keys=...)`` to keep them):
``mask_type`` (``'tube'``, ``'random'``, ``'hand_arm'``, and ``'motion'`` for
:class:`~signmae_mm.datasets.transforms.motion_mask.MotionAwareMask`, in its own module),
``mask_num_masked`` (int), ``mask_fallback`` (bool) and ``mask_fallback_reason`` (str, ``''``
when none), and for the hand-arm mask ``mask_priority_tokens`` (dict: priority-group name ->
tokens found in that group).

The transforms read the clip from ``results`` and write the mask; the draws
(:mod:`signmae_mm.ops.token_sampling`) and the hand-arm algorithm with its NumPy and compiled
backends (:mod:`signmae_mm.ops.hand_arm`) live in :mod:`signmae_mm.ops`. Randomness comes from
``numpy.random`` (the global state), as in mmaction2's transforms, so mmengine's seeding
(``randomness=dict(seed=...)``, per-worker seeds) makes masks reproducible and different across
dataloader workers.
"""
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
from mmaction.registry import TRANSFORMS
from mmcv.transforms import BaseTransform
from torch.nn.modules.utils import _pair

from ...ops.hand_arm import HandArmSpec, hand_arm_coverage, hand_arm_token_mask
# floyd_subset and sample_distinct are imported from here by old code.
from ...ops.token_sampling import (floyd_subset, random_mask, round_half_up, sample_distinct,
                                   topped_up_tube_mask, tube_mask)
from ...structures import PART_GROUPS, PART_MAP_SCALE, part_group_indices
from .clip_geometry import get_clip_geometry

__all__ = ['TubeMask', 'RandomMask', 'SegmentGuidedHandMask', 'MASK_META_KEYS', 'MASK_COMMON_ARGS',
           'token_masks', 'is_token_mask', 'as_mask', 'tube_mask', 'random_mask',
           'sample_distinct', 'floyd_subset']

#: The metadata keys that the mask transforms write (for ``PackActionInputs(meta_keys=...)``).
MASK_META_KEYS = ('mask_type', 'mask_num_masked', 'mask_fallback', 'mask_fallback_reason',
                  'mask_priority_tokens')

#: Default priority groups of the hand-arm mask: hands first, then arms.
DEFAULT_PRIORITY_GROUPS = {
    'hand': ('left_hand', 'right_hand'),
    'arm': ('left_lower_arm', 'right_lower_arm', 'left_upper_arm', 'right_upper_arm'),
}


#: The arguments every token mask takes (its budget and token grid): what :func:`as_mask` keeps.
MASK_COMMON_ARGS = ('ratio', 'tubelet_size', 'patch_size', 'input_size')


class _BaseTokenMask(BaseTransform):
    """Shared argument handling: token grid, ratio, one clip per sample.

    A subclass registered in ``TRANSFORMS`` with a ``mask_type`` is a token mask everywhere
    masks are listed (:func:`token_masks`: the tools' ``--mask``, the views that share decoded
    frames, the masking ablation's configs): a new mask is one class and one config.
    """

    mask_type = ''  # the value of ``results['mask_type']``, and the mask's short name

    def __init__(self,
                 ratio: float = 0.9,
                 tubelet_size: int = 2,
                 patch_size: Union[int, Tuple[int, int]] = 16,
                 input_size: Optional[Sequence[int]] = None) -> None:
        if not 0.0 <= ratio < 1.0:
            raise ValueError(f'{type(self).__name__}: ratio must be in [0, 1), got {ratio}')
        self.ratio = float(ratio)
        self.tubelet_size = int(tubelet_size)
        self.patch_size = tuple(int(v) for v in _pair(patch_size))
        if self.tubelet_size < 1 or min(self.patch_size) < 1:
            raise ValueError(f'{type(self).__name__}: tubelet and patch sizes must be >= 1')
        if input_size is not None:
            input_size = tuple(int(v) for v in input_size)
            if len(input_size) != 3:
                raise ValueError(f'{type(self).__name__}: input_size is (T, H, W), got '
                                 f'{input_size}')
            self._grid_of(input_size, '<config>')
        self.input_size = input_size

    def _grid_of(self, size: Tuple[int, int, int], video: str) -> Tuple[int, int, int]:
        t, h, w = size
        grid = (t // self.tubelet_size, h // self.patch_size[0], w // self.patch_size[1])
        if min(grid) < 1:
            raise ValueError(f'{type(self).__name__}: {video}: a {t}x{h}x{w} (T x H x W) clip '
                             f'holds no {self.tubelet_size}x{self.patch_size[0]}x'
                             f'{self.patch_size[1]} token')
        return grid

    def clip_size(self, results: dict) -> Tuple[int, int, int]:
        """``(T, H, W)`` of the clip that the model will see, checked against ``input_size``.

        Args:
            results (dict): Pipeline results (after the spatial transforms).

        Returns:
            tuple[int, int, int]: ``(T, H, W)``.
        """
        video = results.get('filename', '<unknown video>')
        num_clips = results.get('num_clips', 1)
        if num_clips != 1:
            raise ValueError(f'{type(self).__name__}: {video}: masked pretraining takes one clip '
                             f'per sample, got num_clips={num_clips}; use SampleFrames('
                             'num_clips=1)')
        clip_len = results.get('clip_len')
        if isinstance(clip_len, dict):
            clip_len = clip_len.get('RGB')
        imgs = results.get('imgs')
        if isinstance(imgs, list) or (isinstance(imgs, np.ndarray) and imgs.ndim == 4
                                      and 'input_shape' not in results):
            # before FormatShape: one image per frame; more than clip_len means several crops
            if clip_len is not None and len(imgs) != clip_len:
                raise ValueError(f'{type(self).__name__}: {video}: {len(imgs)} images for a '
                                 f'{clip_len}-frame clip; multi-crop is not supported')
            clip_len = clip_len if clip_len is not None else len(imgs)
        if clip_len is None or 'img_shape' not in results:
            if self.input_size is None:
                raise KeyError(f'{type(self).__name__}: {video}: cannot tell the clip size (no '
                               '"clip_len"/"img_shape" in results); place the mask after '
                               'SampleFrames and the spatial transforms, or give input_size')
            return self.input_size  # type: ignore[return-value]
        size = (int(clip_len), ) + tuple(int(v) for v in results['img_shape'][:2])
        if self.input_size is not None and size != self.input_size:
            raise ValueError(f'{type(self).__name__}: {video}: the clip is {size} (T, H, W) but '
                             f'input_size is {self.input_size}; every clip must give the same '
                             'token grid (add a fixed-size Resize before the mask)')
        return size  # type: ignore[return-value]

    def _write(self, results: dict, mask: np.ndarray, mask_type: str, fallback: bool = False,
               reason: str = '') -> dict:
        results['mask'] = mask
        results['mask_type'] = mask_type
        results['mask_num_masked'] = int(np.count_nonzero(mask))
        results['mask_fallback'] = fallback
        results['mask_fallback_reason'] = reason
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(ratio={self.ratio}, tubelet_size={self.tubelet_size}, '
                f'patch_size={self.patch_size}, input_size={self.input_size})')


def token_masks() -> Dict[str, type]:
    """Every token-mask transform in mmaction2's ``TRANSFORMS`` registry, by ``mask_type``.

    Returns:
        dict[str, type]: ``{'hand_arm': SegmentGuidedHandMask, 'random': RandomMask,
        'tube': TubeMask, ...}`` (and any mask registered by other code), sorted by name.
    """
    found = {cls.mask_type: cls for cls in TRANSFORMS.module_dict.values()
             if isinstance(cls, type) and issubclass(cls, _BaseTokenMask) and cls.mask_type}
    return dict(sorted(found.items()))


def is_token_mask(transform: Any) -> bool:
    """Whether a built transform or a transform config (``dict(type=...)``) is a token mask."""
    if isinstance(transform, dict):
        kind = transform.get('type')
        kind = TRANSFORMS.get(kind) if isinstance(kind, str) else kind
        return isinstance(kind, type) and issubclass(kind, _BaseTokenMask)
    return isinstance(transform, _BaseTokenMask)


def as_mask(transform: dict, mask: str) -> dict:
    """A token mask's config made another mask, keeping the arguments all masks share.

    Arguments of one mask only (``SegmentGuidedHandMask``'s ``visible_slots``,
    ``priority_groups``, ...) are dropped, so that the other mask builds.

    Args:
        transform (dict): A token mask's config.
        mask (str): A key of :func:`token_masks`.

    Returns:
        dict: The new config.

    Raises:
        ValueError: ``transform`` is not a token mask, or ``mask`` is not a known one.
    """
    masks = token_masks()
    if mask not in masks:
        raise ValueError(f'unknown mask {mask!r}; the registered masks: {sorted(masks)}')
    if not is_token_mask(transform):
        raise ValueError(f'{transform.get("type")!r} is not a token mask '
                         f'({sorted(c.__name__ for c in masks.values())})')
    keep = {k: v for k, v in transform.items() if k in MASK_COMMON_ARGS}
    return dict(type=masks[mask].__name__, **keep)


@TRANSFORMS.register_module()
class TubeMask(_BaseTokenMask):
    """VideoMAE's tube masking: one random spatial mask repeated over all time slots.

    ``int(ratio * Hp * Wp)`` cells are masked per time slot (VideoMAE's count), so
    ``T' * int(ratio * Hp * Wp)`` tokens in all (1408 of 1568 for 16x224x224, 2x16x16 tubelets,
    ratio 0.9).

    Required keys: ``img_shape``, ``clip_len``, ``num_clips`` (or ``input_size``).
    Added keys: ``mask`` and the metadata listed in :data:`MASK_META_KEYS`.

    Args:
        ratio (float): Fraction of tokens to mask. Defaults to 0.9.
        tubelet_size (int): Frames per token. Defaults to 2.
        patch_size (int | tuple[int, int]): Pixels per token side. Defaults to 16.
        input_size (Sequence[int], optional): ``(T, H, W)`` every clip must have; checked when
            given, and used when the results carry no clip size.
    """

    mask_type = 'tube'

    def transform(self, results: dict) -> dict:
        """Write a tube mask into ``results``."""
        t, hp, wp = self._grid_of(self.clip_size(results), results.get('filename', ''))
        per_slot = int(self.ratio * hp * wp)
        return self._write(results, tube_mask(t, hp * wp, per_slot), self.mask_type)


@TRANSFORMS.register_module()
class RandomMask(_BaseTokenMask):
    """Uniformly random token masking: ``round(ratio * N)`` tokens (rounded half up).

    Same count as :class:`SegmentGuidedHandMask`, so the two differ only in where they mask.

    Required keys, added keys and arguments: as :class:`TubeMask`.
    """

    mask_type = 'random'

    def transform(self, results: dict) -> dict:
        """Write a random mask into ``results``."""
        t, hp, wp = self._grid_of(self.clip_size(results), results.get('filename', ''))
        n = t * hp * wp
        return self._write(results, random_mask(n, round_half_up(self.ratio * n)),
                           self.mask_type)


@TRANSFORMS.register_module()
class SegmentGuidedHandMask(_BaseTokenMask):
    """SignMAE's spatio-temporal hand-arm mask, from part maps, after the spatial augmentations.

    Reads the clip's part maps (``sign_part_maps``, ``(T, P, Gh, Gw)`` uint8, in the video's
    pixel frame, from ``LoadSignAnnotation``) and the crop / resize / flip that mmaction2
    recorded (``crop_quadruple``, ``img_shape``, ``flip``, ``flip_direction``; see
    :mod:`.clip_geometry`), and masks exactly ``round(ratio * N)`` tokens (rounded half up) by
    :func:`signmae_mm.ops.hand_arm.hand_arm_token_mask`: the tokens that show the first priority
    group (the hands, by default), then the next (the arms), then uniformly random others (the
    method, step by step: :mod:`signmae_mm.ops.hand_arm`). With ``visible_slots``, the first
    group's tokens of that many random time slots stay visible (other tokens are masked in their
    place, so the count is the same; ``mask_revealed_tokens`` records how many), so that the
    encoder sees a hand in one slot and has to predict it in the others. A horizontal flip moves the
    subject's left hand to the mirrored place without renaming it; that does not matter as long
    as both hands are in the same priority group, as by default.

    Fallback: when no token of the clip belongs to any priority group (no hand or arm visible in
    the crop), the clip gets a tube mask instead (``int(K / T')`` cells per time slot, repeated,
    plus the ``K mod T'`` remaining tokens at random, so the count is the same ``K``), with
    ``mask_type='tube'``, ``mask_fallback=True`` and the reason in ``mask_fallback_reason``.

    Required keys: ``sign_part_maps`` (from ``LoadSignAnnotation``), ``img_shape``, ``clip_len``,
    ``num_clips``; optional ``crop_quadruple``, ``flip``, ``flip_direction``, ``lazy``,
    ``original_shape`` / ``sign_img_shape`` (checked to agree).
    Added keys: ``mask`` and :data:`MASK_META_KEYS`.

    Args:
        ratio (float): Fraction of tokens to mask. Defaults to 0.9.
        priority_groups (dict | Sequence[Sequence[str]], optional): Ordered priority groups, each
            a list of part-group names of :data:`~signmae_mm.datasets.PART_GROUPS`
            (case-insensitive). A dict names them (the names key ``mask_priority_tokens``); a list
            names them ``group0``, ``group1``, ... Defaults to
            ``dict(hand=('left_hand', 'right_hand'), arm=(the four arm groups))``.
        coverage_thr (float): Covered fraction of a token (over its tubelet) from which it counts
            for a group. Defaults to 0.1.
        dilation (int): Grow each group's tokens by this many cells in each spatial direction,
            per time slot. Defaults to 0.
        temporal_pool (str): ``'mean'`` (coverage of the whole tubelet) or ``'max'`` (of its
            most covered frame). Defaults to ``'mean'``.
        backend (str): ``'auto'`` (the compiled op of :mod:`signmae_mm.ops` when it was built
            and the maps are uint8, else NumPy), ``'compiled'`` (error when it was not built) or
            ``'numpy'``. Both give the same masks from the same random state. Defaults to
            ``'auto'``.
        tubelet_size (int): Frames per token. Defaults to 2.
        patch_size (int | tuple[int, int]): Pixels per token side. Defaults to 16.
        input_size (Sequence[int], optional): ``(T, H, W)`` every clip must have.
        visible_slots (int): Time slots per clip (drawn at random) in which the first priority
            group's tokens stay visible. Defaults to 0: masked in every slot.
    """

    mask_type = 'hand_arm'

    def __init__(self,
                 ratio: float = 0.9,
                 priority_groups: Optional[Union[Dict[str, Sequence[str]],
                                                 Sequence[Sequence[str]]]] = None,
                 coverage_thr: float = 0.1,
                 dilation: int = 0,
                 temporal_pool: str = 'mean',
                 backend: str = 'auto',
                 tubelet_size: int = 2,
                 patch_size: Union[int, Tuple[int, int]] = 16,
                 input_size: Optional[Sequence[int]] = None,
                 visible_slots: int = 0) -> None:
        super().__init__(ratio, tubelet_size, patch_size, input_size)
        if priority_groups is None:
            priority_groups = DEFAULT_PRIORITY_GROUPS
        if isinstance(priority_groups, dict):
            names, groups = list(priority_groups.keys()), list(priority_groups.values())
        else:
            groups = list(priority_groups)
            names = [f'group{i}' for i in range(len(groups))]
        if not groups:
            raise ValueError('SegmentGuidedHandMask: priority_groups is empty')
        self.priority_names: List[str] = [str(n) for n in names]
        self.priority_groups: List[List[int]] = [part_group_indices(g) for g in groups]
        if any(not g for g in self.priority_groups):
            raise ValueError('SegmentGuidedHandMask: a priority group is empty')
        try:
            self.spec = HandArmSpec(
                priority_groups=tuple(tuple(g) for g in self.priority_groups),
                num_parts=len(PART_GROUPS),
                tubelet_size=self.tubelet_size,
                patch_size=self.patch_size,
                coverage_thr=float(coverage_thr),
                dilation=int(dilation),
                temporal_pool=temporal_pool,
                map_scale=PART_MAP_SCALE,
                backend=backend,
                visible_slots=int(visible_slots))
        except (ValueError, RuntimeError) as e:
            raise type(e)(str(e).replace('HandArmSpec', 'SegmentGuidedHandMask')) from None
        self.coverage_thr = self.spec.coverage_thr
        self.dilation = self.spec.dilation
        self.temporal_pool = temporal_pool
        self.backend = backend
        self.visible_slots = self.spec.visible_slots

    def token_coverage(self, results: dict) -> np.ndarray:
        """Covered fraction of every token by every priority group.

        Args:
            results (dict): Pipeline results after the spatial transforms.

        Returns:
            np.ndarray: ``(L, T', Hp, Wp)`` float32, ``L`` = number of priority groups; token
            ``(t, h, w)`` of group ``l`` is ``[l].reshape(-1)[t * Hp * Wp + h * Wp + w]``.
        """
        size = self.clip_size(results)
        maps = self._checked_maps(results, size)
        t_slots = self._grid_of(size, results.get('filename', ''))[0]
        return hand_arm_coverage(np.ascontiguousarray(maps), get_clip_geometry(results),
                                 t_slots, self.spec)

    def _checked_maps(self, results: dict, size: Tuple[int, int, int]) -> np.ndarray:
        """The clip's part maps ``(T, P, Gh, Gw)``, checked against the clip."""
        video = results.get('filename', '<unknown video>')
        maps = results.get('sign_part_maps')
        if maps is None:
            raise KeyError(f'SegmentGuidedHandMask: {video}: no part maps ("sign_part_maps") in '
                           'results; add LoadSignAnnotation to the pipeline (after SampleFrames)')
        if maps.ndim != 4 or maps.shape[1] != len(PART_GROUPS):
            raise ValueError(f'SegmentGuidedHandMask: {video}: sign_part_maps must be (T, '
                             f'{len(PART_GROUPS)}, Gh, Gw), got {maps.shape}')
        if maps.shape[0] != size[0]:
            raise ValueError(f'SegmentGuidedHandMask: {video}: {maps.shape[0]} part-map frames '
                             f'for a {size[0]}-frame clip')
        ann_shape = results.get('sign_img_shape')
        orig_shape = results.get('original_shape')
        if ann_shape is not None and orig_shape is not None and \
                tuple(ann_shape[:2]) != tuple(orig_shape[:2]):
            raise ValueError(f'SegmentGuidedHandMask: {video}: image size mismatch: the part '
                             f'maps are for {tuple(ann_shape[:2])} (h, w) frames, the video has '
                             f'{tuple(orig_shape[:2])}')
        return maps

    def transform(self, results: dict) -> dict:
        """Write the hand-arm mask (or the recorded tube fallback) into ``results``."""
        size = self.clip_size(results)
        t_slots, hp, wp = self._grid_of(size, results.get('filename', ''))
        budget = round_half_up(self.ratio * t_slots * hp * wp)
        maps = np.ascontiguousarray(self._checked_maps(results, size))
        mask, counts, revealed = hand_arm_token_mask(maps, get_clip_geometry(results), t_slots,
                                                     budget, self.spec)
        results['mask_revealed_tokens'] = revealed
        results['mask_priority_tokens'] = {
            name: counts[-1 - i] for i, name in enumerate(self.priority_names)
        }
        if mask is None:
            reason = (f'no token reaches coverage {self.coverage_thr} of any priority group '
                      f'({", ".join(self.priority_names)}) in the crop')
            return self._write(results, topped_up_tube_mask(t_slots, hp * wp, budget), 'tube',
                               True, reason)
        return self._write(results, mask, self.mask_type)

    def __repr__(self) -> str:
        groups = {n: [PART_GROUPS[i] for i in g]
                  for n, g in zip(self.priority_names, self.priority_groups)}
        return (f'{type(self).__name__}(ratio={self.ratio}, priority_groups={groups}, '
                f'coverage_thr={self.coverage_thr}, dilation={self.dilation}, '
                f'temporal_pool={self.temporal_pool!r}, backend={self.backend!r}, '
                f'visible_slots={self.visible_slots}, tubelet_size={self.tubelet_size}, '
                f'patch_size={self.patch_size}, input_size={self.input_size})')
