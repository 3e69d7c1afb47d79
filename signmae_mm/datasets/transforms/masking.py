"""Token masks for masked video pretraining: tube, random and the SignMAE hand-arm mask.

Every mask transform writes ``results['mask']``: a bool array ``(N,)``,
``N = (T // tubelet) * (H // patch) * (W // patch)`` for the final clip (``T`` frames of
``H x W`` pixels), tokens in ``(t, h, w)`` row-major order (the order of
``Conv3d(kernel=stride=(tubelet, patch, patch))(x).flatten(2)``), ``True`` = masked (hidden from
the encoder). All clips under one configuration mask the same number of tokens, so batches stack.
Masked pretraining takes one clip per sample (``num_clips == 1``).

Metadata written next to the mask (list them in ``PackActionInputs(meta_keys=...)`` to keep them):
``mask_type`` (``'tube'``, ``'random'``, ``'hand_arm'``), ``mask_num_masked`` (int),
``mask_fallback`` (bool) and ``mask_fallback_reason`` (str, ``''`` when none), and for the
hand-arm mask ``mask_priority_tokens`` (dict: priority-group name -> tokens found in that group).

Randomness comes from ``numpy.random`` (the global state), as in mmaction2's transforms, so
mmengine's seeding (``randomness=dict(seed=...)``, per-worker seeds) makes masks reproducible and
different across dataloader workers.

``SegmentGuidedHandMask`` runs through the compiled op of :mod:`signmae_mm.ops` when it was built
at install time (about 27 us per 16x224x224 clip, 2.7x ``TubeMask``, see
``benchmarks/bench_masking.py``) and through NumPy otherwise (about 120 us); both give the same
mask from the same random state.
"""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
from mmaction.registry import TRANSFORMS
from mmcv.transforms import BaseTransform
from torch.nn.modules.utils import _pair

from ..sign_annotation import PART_GROUPS, PART_MAP_SCALE, part_group_indices
from ...ops import HAS_COMPILED_OPS, hand_arm_mask, hand_arm_priority
from .clip_geometry import ClipGeometry, cell_overlap_matrices, get_clip_geometry

__all__ = ['TubeMask', 'RandomMask', 'SegmentGuidedHandMask', 'MASK_META_KEYS',
           'tube_mask', 'random_mask', 'sample_distinct', 'floyd_subset']

#: The metadata keys that the mask transforms write (for ``PackActionInputs(meta_keys=...)``).
MASK_META_KEYS = ('mask_type', 'mask_num_masked', 'mask_fallback', 'mask_fallback_reason',
                  'mask_priority_tokens')

#: Default priority groups of the hand-arm mask: hands first, then arms.
DEFAULT_PRIORITY_GROUPS = {
    'hand': ('left_hand', 'right_hand'),
    'arm': ('left_lower_arm', 'right_lower_arm', 'left_upper_arm', 'right_upper_arm'),
}


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
        np.ndarray: ``(num_slots * num_cells,)`` bool.
    """
    spatial = np.zeros(num_cells, dtype=bool)
    spatial[np.random.permutation(num_cells)[:per_slot]] = True
    return np.tile(spatial, num_slots)


def random_mask(num_tokens: int, num_masked: int) -> np.ndarray:
    """``num_masked`` tokens out of ``num_tokens``, uniformly at random.

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


def _round_half_up(x: float) -> int:
    # ``round`` rounds half to even; the count must not depend on that subtlety
    return int(np.floor(x + 0.5 + 1e-9))


class _BaseTokenMask(BaseTransform):
    """Shared argument handling: token grid, ratio, one clip per sample."""

    mask_type = ''  # the value of ``results['mask_type']``

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
        return self._write(results, random_mask(n, _round_half_up(self.ratio * n)),
                           self.mask_type)


@TRANSFORMS.register_module()
class SegmentGuidedHandMask(_BaseTokenMask):
    """SignMAE's spatio-temporal hand-arm mask, from part maps, after the spatial augmentations.

    Steps, per clip:

    1. The clip's part maps (``sign_part_maps``, ``(T, P, Gh, Gw)`` uint8, in the video's pixel
       frame, from ``LoadSignAnnotation``) are summed over the part groups of each priority group
       (the sum of fractions is the fraction of the union for segmentation maps, whose classes do
       not overlap) and averaged (``temporal_pool='mean'``) or maxed (``'max'``) over the frames
       of each tubelet.
    2. They are mapped through the crop / resize / flip that mmaction2 recorded
       (``crop_quadruple``, ``img_shape``, ``flip``, ``flip_direction``; see
       :mod:`.clip_geometry`) and area-pooled onto the final token grid, so a token's coverage is
       the fraction of its pixels, in the tensor the model sees, that show the part. A horizontal
       flip moves the subject's left hand to the mirrored place without renaming it (the left-hand
       map then lies on what looks like a right hand); that does not matter as long as both hands
       are in the same priority group, as by default.
    3. A token belongs to a priority group when its coverage reaches ``coverage_thr``; each group's
       tokens are optionally grown by ``dilation`` cells (per time slot); a token counts for the
       first group that holds it.
    4. Exactly ``round(ratio * N)`` tokens (rounded half up) are masked: the first group's tokens,
       then the next group's, then uniformly random others; when a group does not fit in what is
       left of the budget a uniform random subset of it is taken.

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
                 input_size: Optional[Sequence[int]] = None) -> None:
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
        # contiguous groups (the default) are reduced through views, without a copy
        self._slices = [
            slice(g[0], g[-1] + 1) if g == list(range(g[0], g[-1] + 1)) else None
            for g in self.priority_groups
        ]
        if not 0.0 < coverage_thr <= 1.0:
            raise ValueError(f'SegmentGuidedHandMask: coverage_thr must be in (0, 1], got '
                             f'{coverage_thr}')
        self.coverage_thr = float(coverage_thr)
        if int(dilation) < 0:
            raise ValueError(f'SegmentGuidedHandMask: dilation must be >= 0, got {dilation}')
        self.dilation = int(dilation)
        if temporal_pool not in ('mean', 'max'):
            raise ValueError(f"SegmentGuidedHandMask: temporal_pool must be 'mean' or 'max', "
                             f'got {temporal_pool!r}')
        self.temporal_pool = temporal_pool
        if backend not in ('auto', 'compiled', 'numpy'):
            raise ValueError(f"SegmentGuidedHandMask: backend must be 'auto', 'compiled' or "
                             f"'numpy', got {backend!r}")
        if backend == 'compiled' and not HAS_COMPILED_OPS:
            raise RuntimeError('SegmentGuidedHandMask: backend="compiled" but signmae_mm.ops was '
                               'built without its C extension (no C compiler at install time?); '
                               'reinstall with `pip install -e .` or use backend="auto"')
        self.backend = backend
        self._compiled = backend != 'numpy' and HAS_COMPILED_OPS
        # L x P membership bytes for the compiled op
        self._group_table = bytes(
            int(p in g) for g in self.priority_groups for p in range(len(PART_GROUPS)))

    # ------------------------------------------------------------------ coverage
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
        geometry = get_clip_geometry(results)
        t_slots, hp, wp = self._grid_of(size, results.get('filename', ''))
        if self._compiled_for(maps):
            cov = np.empty((len(self.priority_groups), t_slots, hp, wp), np.float32)
            hand_arm_priority(*self._op_query(maps, geometry, t_slots), coverage=cov)
        else:
            cov = self._pooled_coverage(maps, geometry, t_slots)
        return cov / np.float32(self._full_units)

    @property
    def _full_units(self) -> int:
        # coverage is computed in summed map units, exact integers until the pooling: 255 per
        # fully covered frame, summed over the tubelet's frames for 'mean'
        return PART_MAP_SCALE * (self.tubelet_size if self.temporal_pool == 'mean' else 1)

    @property
    def _threshold_units(self) -> float:
        return self.coverage_thr * self._full_units

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

    def _compiled_for(self, maps: np.ndarray) -> bool:
        return self._compiled and maps.dtype == np.uint8

    def _op_query(self, maps: np.ndarray, geometry: ClipGeometry, t_slots: int) -> tuple:
        """The arguments of the compiled ops (``signmae_mm.ops``) for this clip."""
        return (np.ascontiguousarray(maps), self._group_table, t_slots, self.tubelet_size,
                self.temporal_pool == 'mean', geometry.crop, geometry.out_hw,
                (geometry.flip_h, geometry.flip_v), self.patch_size, self._threshold_units,
                self.dilation)

    def _pooled_coverage(self, maps: np.ndarray, geometry: ClipGeometry,
                         t_slots: int) -> np.ndarray:
        """NumPy path: coverage ``(L, T', Hp, Wp)`` in summed map units."""
        tub, num_groups = self.tubelet_size, len(self.priority_groups)
        gh, gw = maps.shape[2:]
        mean = self.temporal_pool == 'mean'
        frames = t_slots if mean else t_slots * tub
        # (t', tubelet frame, part group, Gh, Gw) view of the frames that make whole tubelets
        used = maps[:t_slots * tub].reshape(t_slots, tub, maps.shape[1], gh, gw)
        # sum each priority group's part groups (and for 'mean' the tubelet's frames) in
        # integers, exact
        level = np.empty((num_groups, frames, gh, gw), dtype=np.float32)
        for i, (idx, sl) in enumerate(zip(self.priority_groups, self._slices)):
            part = used[:, :, sl] if sl is not None else used[:, :, idx]
            if mean:
                level[i] = part.sum(axis=(1, 2), dtype=np.uint16)
            else:
                level[i] = part.sum(axis=2, dtype=np.uint16).reshape(frames, gh, gw)
        ay, ax = cell_overlap_matrices(geometry, (gh, gw), self.patch_size)
        hp, wp = ay.shape[0], ax.shape[0]
        # pool onto the token grid: Ay (Hp, Gh) on the Gh axis of every map, then one
        # (L*F*Hp, Gw) @ (Gw, Wp) product (a contiguous right operand is markedly faster)
        cov = np.matmul(ay, level.reshape(-1, gh, gw)).reshape(-1, gw)
        cov = (cov @ np.ascontiguousarray(ax.T)).reshape(num_groups, t_slots, -1, hp, wp)
        return cov[:, :, 0] if mean else cov.max(2)

    def _numpy_priority(self, maps: np.ndarray, geometry: ClipGeometry,
                        t_slots: int) -> Tuple[np.ndarray, List[int]]:
        member = self._pooled_coverage(maps, geometry, t_slots) >= self._threshold_units
        if self.dilation:
            member = self._dilate(member, self.dilation)
        num_groups = len(self.priority_groups)
        member = member.reshape(num_groups, -1)
        # priority of a token: L for the first group that holds it, ..., 1 for the last, 0 none
        priority = member[-1].astype(np.int8)
        for level in range(2, num_groups + 1):
            priority[member[-level]] = level
        counts = np.bincount(priority, minlength=num_groups + 1).tolist()
        return priority, counts

    @staticmethod
    def _dilate(x: np.ndarray, d: int) -> np.ndarray:
        """Binary dilation of the last two axes by a ``(2d+1) x (2d+1)`` square."""
        out = x.copy()
        for s in range(1, d + 1):
            out[..., s:, :] |= x[..., :-s, :]
            out[..., :-s, :] |= x[..., s:, :]
        res = out.copy()
        for s in range(1, d + 1):
            res[..., s:] |= out[..., :-s]
            res[..., :-s] |= out[..., s:]
        return res

    # ------------------------------------------------------------------ transform
    def transform(self, results: dict) -> dict:
        """Write the hand-arm mask (or the recorded tube fallback) into ``results``."""
        size = self.clip_size(results)
        t_slots, hp, wp = self._grid_of(size, results.get('filename', ''))
        n = t_slots * hp * wp
        budget = _round_half_up(self.ratio * n)
        maps = self._checked_maps(results, size)
        geometry = get_clip_geometry(results)
        if self._compiled_for(maps):
            mask, counts = hand_arm_mask(*self._op_query(maps, geometry, t_slots), budget)
        else:
            priority, counts = self._numpy_priority(maps, geometry, t_slots)
            mask = self._select(priority, counts, budget) if counts[0] != n else None
        results['mask_priority_tokens'] = {
            name: counts[-1 - i] for i, name in enumerate(self.priority_names)
        }
        if mask is None:
            reason = (f'no token reaches coverage {self.coverage_thr} of any priority group '
                      f'({", ".join(self.priority_names)}) in the crop')
            return self._write(results, self._tube_fallback(t_slots, hp * wp, budget), 'tube',
                               True, reason)
        return self._write(results, mask, self.mask_type)

    @staticmethod
    def _selection_plan(counts: List[int], budget: int) -> Tuple[int, int, int]:
        """``(level, m, pop)``: tokens above ``level`` are masked, and ``m`` of its ``pop``."""
        n = sum(counts)
        if n - counts[0] <= budget:  # the usual case: every priority token fits
            return 0, budget - (n - counts[0]), counts[0]
        left = budget
        for level in range(len(counts) - 1, 0, -1):
            if counts[level] >= left:  # the first group that does not fit: a subset of it
                return level, left, counts[level]
            left -= counts[level]
        raise AssertionError('unreachable: the priority tokens exceed the budget')

    def _select(self, priority: np.ndarray, counts: List[int], budget: int) -> np.ndarray:
        """Mask the priority groups in order, then uniformly random other tokens (NumPy path;
        ``signmae_mm.ops.hand_arm_mask`` runs the same steps compiled)."""
        level, m, pop = self._selection_plan(counts, budget)
        # draw the smaller of the two sides (masked or left visible among the level's tokens)
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

    @staticmethod
    def _tube_fallback(t_slots: int, cells: int, budget: int) -> np.ndarray:
        """A tube mask topped up at random to exactly ``budget`` tokens."""
        mask = tube_mask(t_slots, cells, budget // t_slots)
        extra = budget - t_slots * (budget // t_slots)
        if extra:
            rest = np.flatnonzero(~mask)
            mask[rest[sample_distinct(rest.size, extra)]] = True
        return mask

    def __repr__(self) -> str:
        groups = {n: [PART_GROUPS[i] for i in g]
                  for n, g in zip(self.priority_names, self.priority_groups)}
        return (f'{type(self).__name__}(ratio={self.ratio}, priority_groups={groups}, '
                f'coverage_thr={self.coverage_thr}, dilation={self.dilation}, '
                f'temporal_pool={self.temporal_pool!r}, backend={self.backend!r}, '
                f'tubelet_size={self.tubelet_size}, '
                f'patch_size={self.patch_size}, input_size={self.input_size})')
