"""``MotionAwareMask``: MASA's motion-aware masking, moved from pose frames to RGB tokens.

MASA (pose sequences) marks a *frame* as a candidate when at least ``delta`` = 50 % of its
keypoints move between frame ``i`` and ``i + k`` (``k`` = 3): with ``c = score`` where
``score >= 0.4`` and 0 below, a keypoint moves when ``|x_{i+k} - x_i| * c_i * c_{i+k} >= 5``
(coordinates on a 256-pixel box); 90 % of the candidate frames are masked at random.
:class:`MotionAwareMask` applies the same test to the tokens (tubelet x patch) of a video clip:
the keypoints of the sign annotation are mapped into the augmented clip (the crop / resize /
flip that mmaction2 recorded, as the hand-arm mask maps its part maps), each falls into one
token, and a token is a candidate when enough of its keypoints move.
"""
from typing import Dict, Optional, Sequence, Tuple, Union

import numpy as np
from mmaction.registry import TRANSFORMS

from ...ops.hand_arm_numpy import select_tokens, token_priority
from ...ops.clip_geometry import ClipGeometry
from ...ops.hand_arm import hand_arm_backend
from ...ops.hand_arm_priority import hand_arm_priority
from ...ops.token_sampling import random_mask, round_half_up, sample_distinct
from ...structures import KEYPOINT_RANGES, NUM_KEYPOINTS
from .clip_geometry import get_clip_geometry
from .masking import SegmentGuidedHandMask, _BaseTokenMask

__all__ = ['MotionAwareMask', 'map_keypoints', 'hand_size_px', 'moving_keypoints']

#: The fills of the budget left after the candidates.
FILLS = ('hand_arm', 'random')


def map_keypoints(keypoints: np.ndarray, frame_hw: Tuple[int, int],
                  geometry: ClipGeometry) -> np.ndarray:
    """Keypoints from the video's pixel frame into the augmented clip's pixel frame.

    The inverse of the mapping that :func:`~signmae_mm.ops.clip_geometry.cell_overlap_matrices`
    applies to part maps: continuous pixel coordinates (pixel ``i`` spans ``[i, i + 1)``),
    crop as fractions of the video frame, then resize, then flip (``x -> W - x``).

    Args:
        keypoints (np.ndarray): ``(..., 2)`` ``(x, y)`` in pixels of the video frame.
        frame_hw (tuple[int, int]): ``(h, w)`` of the video frame.
        geometry (ClipGeometry): The crop / resize / flip (:func:`get_clip_geometry`).

    Returns:
        np.ndarray: ``(..., 2)`` float64 ``(x, y)`` in pixels of the clip (may lie outside it).
    """
    (qx, qy, qw, qh), (h, w) = geometry.crop, geometry.out_hw
    pts = np.asarray(keypoints, dtype=np.float64)
    x = (pts[..., 0] / frame_hw[1] - qx) / qw * w
    y = (pts[..., 1] / frame_hw[0] - qy) / qh * h
    if geometry.flip_h:
        x = w - x
    if geometry.flip_v:
        y = h - y
    return np.stack([x, y], -1)


def hand_size_px(keypoints: np.ndarray, confident: np.ndarray) -> float:
    """Median hand extent of a clip: the side of the box around a hand's 21 keypoints.

    The measure of :func:`signmae_mm.evaluation.hand_extents`, in whatever pixels
    ``keypoints`` are in, over every (frame, hand) whose 21 points are all confident.

    Args:
        keypoints (np.ndarray): ``(T, 133, 2)``.
        confident (np.ndarray): ``(T, 133)`` bool.

    Returns:
        float: The median extent; 0.0 when no hand is fully confident in any frame.
    """
    sizes = []
    for side in ('left_hand', 'right_hand'):
        sl = slice(*KEYPOINT_RANGES[side])
        full = confident[:, sl].all(1)
        pts = keypoints[full, sl]
        sizes.append((pts.max(1) - pts.min(1)).max(1))
    sizes = np.concatenate(sizes)
    return float(np.median(sizes)) if sizes.size else 0.0


def moving_keypoints(keypoints: np.ndarray, scores: np.ndarray, lag: int, min_score: float,
                     threshold: float) -> np.ndarray:
    """MASA's moving-keypoint test on every (frame, keypoint) of a clip.

    With ``c = score`` where ``score >= min_score`` and 0 elsewhere, keypoint ``j`` moves at
    frame ``f`` when ``|x[f'] - x[f]| * c[f] * c[f'] >= threshold``, ``f' = f + lag`` (the last
    ``lag`` frames, which have no later partner, take ``f' = f - lag``).

    Args:
        keypoints (np.ndarray): ``(T, K, 2)`` positions, ``T > lag``.
        scores (np.ndarray): ``(T, K)`` confidences.
        lag (int): Frame distance ``k``.
        min_score (float): Confidence gate.
        threshold (float): Displacement (in the keypoints' units) from which a point moves.

    Returns:
        np.ndarray: ``(T, K)`` bool.
    """
    t = len(keypoints)
    partner = np.arange(t) + lag
    partner[partner >= t] -= 2 * lag
    c = np.where(scores >= min_score, scores, 0.0)
    disp = np.linalg.norm(keypoints[partner] - keypoints, axis=-1)
    # a 0 gate makes the product 0: an unconfident end never moves, whatever the threshold
    return (disp * c * c[partner] >= threshold) & (c > 0) & (c[partner] > 0)


@TRANSFORMS.register_module()
class MotionAwareMask(_BaseTokenMask):
    """MASA's motion-aware mask on RGB tokens: mask where the keypoints move.

    Per clip:

    1. **Moving keypoints.** The clip's whole-body keypoints (``sign_keypoints``, ``(T, 133,
       2)`` in the video's pixel frame, from ``LoadSignAnnotation``) are mapped through the
       recorded crop / resize / flip into the clip. A keypoint moves at frame ``f`` when
       ``|x[f + lag] - x[f]| * c[f] * c[f + lag] >= eps * s`` (MASA's test,
       :func:`moving_keypoints`), ``c`` the score gated at ``min_score``, ``s`` the clip's
       median hand extent (:func:`hand_size_px`, in clip pixels).
    2. **Candidates.** An observation ``(f, j)`` with ``c[f] > 0`` lies in the token of
       ``f``'s tubelet whose patch holds its position. A token is a candidate when at least
       ``min_moving`` of the observations in it move (at least one; a token without any is
       never one).
    3. **Budget.** Exactly ``round(ratio * N)`` tokens (rounded half up, as the hand-arm and
       random masks) are masked: ``round(candidate_ratio * C)`` of the ``C`` candidates at
       random (at most the budget), then the rest of the budget among the non-candidates by
       ``fill``: ``'hand_arm'``, the hand-arm mask's priorities (hand tokens, then arm tokens,
       then random others; from the part maps, as :class:`SegmentGuidedHandMask`), or
       ``'random'``. The candidates left out stay visible (they are the motion the encoder
       sees); only when the non-candidates cannot fill the budget are they masked too.

    Where it departs from MASA (pose frames) and why:

    * **Tokens, not frames.** Candidates are tubelet x patch tokens and the ``min_moving``
      share is over the keypoints *in the token*, not over all 133 of the frame: on RGB a
      frame is mostly still background, while the moving hand is a few tokens.
    * **Threshold relative to the hand.** MASA's 5 px on a 256-pixel box is 0.020 of a box
      framing the signer; a hand spans 0.175 (the demo) to 0.21 (real webcam signs) of the
      frame's short side (``configs/demo/README.md``), so 5 px is 0.09-0.11 hand sizes:
      ``eps=0.1`` hand sizes, measured in clip pixels, so any crop and resize keeps it.
    * **Lag in frames of the sampled clip** (as ``HandMovementCheck``'s ``interval`` and
      ``MotionReconstructionHead``'s ``lag``): the mask sees the clip's frames only. At a frame
      interval of ``i``, ``lag=3`` is ``3 * i`` video frames; MASA's ``k = 3`` is 3 frames of its
      pose sequence. The last ``lag`` frames compare with ``lag`` frames before (MASA's last
      frames have no motion).
    * **The rest of the budget** is filled by hand-arm priority (MASA masks 90 % of the
      candidate frames and nothing else decides; here the token budget is fixed so batches
      stack, and the hands are where the sign is).

    Fallback: with no candidate (a static clip; no fully confident hand to size the threshold;
    a clip not longer than ``lag``) the clip gets the fill alone: the hand-arm mask (and its own
    tube fallback when no hand is in the crop) or a random mask, with ``mask_type`` of that
    mask, ``mask_fallback=True`` and the reason in ``mask_fallback_reason``.

    Required keys: ``sign_keypoints``, ``sign_keypoint_scores``, ``sign_img_shape`` (or
    ``original_shape``), ``img_shape``, ``clip_len``, ``num_clips``; ``sign_part_maps`` for
    ``fill='hand_arm'``; optional ``crop_quadruple``, ``flip``, ``flip_direction``, ``lazy``.
    Added keys: ``mask``, :data:`~signmae_mm.datasets.MASK_META_KEYS` (``mask_priority_tokens``
    with ``fill='hand_arm'``), ``mask_motion_candidates`` (int, candidate tokens) and
    ``mask_hand_size`` (float, clip pixels; 0.0 when unknown).

    Args:
        ratio (float): Fraction of tokens to mask. Defaults to 0.9.
        lag (int): Frame distance ``k`` in the sampled clip. Defaults to 3.
        eps (float): Moving threshold in hand sizes (see above). Defaults to 0.1.
        min_score (float): Confidence gate of MASA. Defaults to 0.4.
        min_moving (float): Share of a token's keypoints that must move (MASA's delta).
            Defaults to 0.5.
        candidate_ratio (float): Share of the candidates masked. Defaults to 0.9.
        fill (str): ``'hand_arm'`` or ``'random'``: how the rest of the budget is filled.
            Defaults to ``'hand_arm'``.
        keypoint_indices (Sequence[int], optional): COCO-WholeBody points used. Defaults to all
            133.
        priority_groups (dict | Sequence[Sequence[str]], optional): The fill's priority groups
            (as :class:`SegmentGuidedHandMask`). Defaults to hands, then arms.
        coverage_thr (float): The fill's coverage threshold. Defaults to 0.1.
        backend (str): The fill's backend (as :class:`SegmentGuidedHandMask`). Defaults to
            ``'auto'``.
        tubelet_size (int): Frames per token. Defaults to 2.
        patch_size (int | tuple[int, int]): Pixels per token side. Defaults to 16.
        input_size (Sequence[int], optional): ``(T, H, W)`` every clip must have.
    """

    mask_type = 'motion'

    def __init__(self,
                 ratio: float = 0.9,
                 lag: int = 3,
                 eps: float = 0.1,
                 min_score: float = 0.4,
                 min_moving: float = 0.5,
                 candidate_ratio: float = 0.9,
                 fill: str = 'hand_arm',
                 keypoint_indices: Optional[Sequence[int]] = None,
                 priority_groups: Optional[Union[Dict[str, Sequence[str]],
                                                 Sequence[Sequence[str]]]] = None,
                 coverage_thr: float = 0.1,
                 backend: str = 'auto',
                 tubelet_size: int = 2,
                 patch_size: Union[int, Tuple[int, int]] = 16,
                 input_size: Optional[Sequence[int]] = None) -> None:
        super().__init__(ratio, tubelet_size, patch_size, input_size)
        name = type(self).__name__
        if int(lag) < 1:
            raise ValueError(f'{name}: lag must be >= 1, got {lag}')
        if eps < 0 or not 0 <= min_moving <= 1 or not 0 <= candidate_ratio <= 1:
            raise ValueError(f'{name}: eps must be >= 0, min_moving and candidate_ratio in '
                             f'[0, 1]; got {eps}, {min_moving}, {candidate_ratio}')
        if fill not in FILLS:
            raise ValueError(f'{name}: fill must be one of {FILLS}, got {fill!r}')
        idx = list(range(NUM_KEYPOINTS) if keypoint_indices is None else keypoint_indices)
        if not idx or min(idx) < 0 or max(idx) >= NUM_KEYPOINTS:
            raise ValueError(f'{name}: keypoint_indices must be in [0, {NUM_KEYPOINTS})')
        self.lag, self.eps, self.min_score = int(lag), float(eps), float(min_score)
        self.min_moving, self.candidate_ratio = float(min_moving), float(candidate_ratio)
        self.fill = fill
        self.keypoint_indices = np.asarray(idx, dtype=np.int64)
        # the fill, and the fallback: the hand-arm mask with the same budget and token grid
        self.hand_arm = SegmentGuidedHandMask(
            ratio, priority_groups=priority_groups, coverage_thr=coverage_thr,
            backend=backend, tubelet_size=tubelet_size, patch_size=patch_size,
            input_size=input_size)

    def motion_candidates(self, results: dict) -> Tuple[np.ndarray, float, str]:
        """Steps 1-2: the candidate tokens of a clip.

        Args:
            results (dict): Pipeline results after the spatial transforms.

        Returns:
            tuple[np.ndarray, float, str]: ``(N,)`` bool candidates in ``(t, h, w)`` order, the
            hand size in clip pixels (0.0 when unknown) and why there is none (``''`` when
            there are).
        """
        video = results.get('filename', '<unknown video>')
        size = self.clip_size(results)
        t_slots, hp, wp = self._grid_of(size, video)
        n = t_slots * hp * wp
        if 'sign_keypoints' not in results or 'sign_keypoint_scores' not in results:
            raise KeyError(f'{type(self).__name__}: {video}: no "sign_keypoints" / '
                           '"sign_keypoint_scores" in results; add LoadSignAnnotation')
        kps = np.asarray(results['sign_keypoints'], dtype=np.float64)
        scores = np.asarray(results['sign_keypoint_scores'], dtype=np.float64)
        if kps.shape != (size[0], NUM_KEYPOINTS, 2) or scores.shape != kps.shape[:2]:
            raise ValueError(f'{type(self).__name__}: {video}: keypoints must be ({size[0]}, '
                             f'{NUM_KEYPOINTS}, 2) with scores ({size[0]}, {NUM_KEYPOINTS}) '
                             f'for the clip, got {kps.shape} and {scores.shape}')
        frame_hw = results.get('sign_img_shape', results.get('original_shape'))
        if frame_hw is None:
            raise KeyError(f'{type(self).__name__}: {video}: no "sign_img_shape" (the '
                           "annotation's frame size) in results")
        none = np.zeros(n, dtype=bool)
        if size[0] <= self.lag:
            return none, 0.0, f'a {size[0]}-frame clip is not longer than lag {self.lag}'
        pts = map_keypoints(kps, tuple(frame_hw[:2]), get_clip_geometry(results))
        scores = np.where(np.isfinite(pts).all(-1), scores, 0.0)  # NaN scores compare False
        hand = hand_size_px(pts, scores >= self.min_score)
        if hand <= 0:
            return none, 0.0, (f'no hand with all 21 keypoints scored >= {self.min_score} to '
                               'size the motion threshold')
        pts, scores = pts[:, self.keypoint_indices], scores[:, self.keypoint_indices]
        moving = moving_keypoints(pts, scores, self.lag, self.min_score, self.eps * hand)
        (ph, pw), frames = self.patch_size, t_slots * self.tubelet_size
        col = np.floor(pts[:frames, :, 0] / pw)
        row = np.floor(pts[:frames, :, 1] / ph)
        located = ((scores[:frames] >= self.min_score) & (col >= 0) & (col < wp) & (row >= 0)
                   & (row < hp))
        slot = (np.arange(frames) // self.tubelet_size)[:, None]
        token = (slot * hp + row.clip(0, hp - 1)) * wp + col.clip(0, wp - 1)
        token = token.astype(np.int64)[located]
        total = np.bincount(token, minlength=n)
        moved = np.bincount(token, weights=moving[:frames][located], minlength=n)
        candidates = (moved >= 1) & (moved >= self.min_moving * total)
        if not candidates.any():
            return candidates, hand, (f'no token where >= {self.min_moving:g} of the keypoints '
                                      f'move {self.eps:g} hand sizes in {self.lag} frames')
        return candidates, hand, ''

    def _fill_priority(self, results: dict, size: Tuple[int, int, int]) -> np.ndarray:
        """``(N,)`` int8 hand-arm priorities (``L`` first group ... 0 none) for the fill."""
        maps = np.ascontiguousarray(self.hand_arm._checked_maps(results, size))
        spec, t_slots = self.hand_arm.spec, size[0] // self.tubelet_size
        priority_of = (hand_arm_priority
                       if hand_arm_backend(spec, maps) == 'compiled' else token_priority)
        priority, counts = priority_of(maps, get_clip_geometry(results), t_slots, spec)
        results['mask_priority_tokens'] = {
            name: int(counts[-1 - i]) for i, name in enumerate(self.hand_arm.priority_names)
        }
        return priority

    def transform(self, results: dict) -> dict:
        """Write the motion-aware mask (or the recorded fallback) into ``results``."""
        size = self.clip_size(results)
        t_slots, hp, wp = self._grid_of(size, results.get('filename', ''))
        n = t_slots * hp * wp
        budget = round_half_up(self.ratio * n)
        candidates, hand, reason = self.motion_candidates(results)
        results['mask_motion_candidates'] = int(candidates.sum())
        results['mask_hand_size'] = hand
        if reason:
            if self.fill == 'random':
                return self._write(results, random_mask(n, budget), 'random', True, reason)
            results = self.hand_arm.transform(results)
            inner = results['mask_fallback_reason']
            results['mask_fallback'] = True
            results['mask_fallback_reason'] = reason + (f'; then {inner}' if inner else '')
            return results
        # levels, high to low: chosen candidates, the fill's priorities + 1 (hand-arm groups,
        # then 1 for the others), 0 for the candidates left visible
        cand = np.flatnonzero(candidates)
        chosen = cand[sample_distinct(cand.size, min(
            round_half_up(self.candidate_ratio * cand.size), budget))]
        if self.fill == 'hand_arm':
            priority = self._fill_priority(results, size).astype(np.int8) + 1
        else:
            priority = np.ones(n, dtype=np.int8)
        priority[cand] = 0
        priority[chosen] = priority.max() + 1
        counts = np.bincount(priority, minlength=int(priority.max()) + 1).tolist()
        mask = select_tokens(priority, counts, budget)
        return self._write(results, mask, self.mask_type)

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(ratio={self.ratio}, lag={self.lag}, eps={self.eps}, '
                f'min_score={self.min_score}, min_moving={self.min_moving}, '
                f'candidate_ratio={self.candidate_ratio}, fill={self.fill!r}, '
                f'tubelet_size={self.tubelet_size}, patch_size={self.patch_size}, '
                f'input_size={self.input_size})')
