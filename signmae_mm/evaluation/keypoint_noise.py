"""How noisy real keypoints are: jitter, missing hands, scores and left/right swaps.

The demo's keypoints are exact; those the own-data path gets from MediaPipe Holistic are not.
:func:`measure_keypoint_noise` measures, on one clip's sign annotation, the four ways they
differ, and :func:`pool_keypoint_noise` pools clips; :func:`fit_keypoint_noise` turns the pooled
figures into the parameters of :class:`signmae_mm.demo.keypoint_noise.KeypointNoise`.
``docs/keypoint_noise.md`` gives the method and the figures on real sign clips.

* **Jitter**: each point's residual against a centred 3-frame moving average of its own
  trajectory, ``|p_t - (p_{t-1} + p_t + p_{t+1}) / 3|``, divided by the hand extent (side of
  the box of the hand's 21 points, as in :mod:`.hand_size`) in that frame; body and face
  points are divided by the clip's median hand extent. True motion adds to it (a signing hand
  accelerates), so the figures are also given on the *slow* frames (the tenth of a clip's
  frames where the group's centroid moves least), where the residual is mostly noise. A
  hand's residual is split into the residual of its centroid (the whole hand shifts) and the
  rest (the shape wobbles). The lag-1 autocorrelation of the residual says whether the noise is white (-2/3
  for white noise, up to -1/2 for noise correlated over many frames, higher with motion).
* **Missing hands**: a hand none of whose 21 points is scored; its share of frames and the
  lengths of its runs of missing frames.
* **Scores**: quantiles of the non-zero scores per keypoint group, and the share of zeros.
* **Swaps**: frames where the hand labelled left is closer to the previous frame's right hand
  than to the previous left hand (or the reverse), per 100 frames with both hands in both
  frames.
"""
from dataclasses import dataclass, field
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from ..structures import KEYPOINT_RANGES

__all__ = [
    'SCORE_GROUPS', 'QUANTILE_LEVELS', 'ClipKeypointNoise', 'hand_presence', 'hand_extents_px',
    'moving_average_residual', 'ar1_from_residual_autocorr', 'missing_runs',
    'measure_keypoint_noise', 'pool_keypoint_noise', 'fit_keypoint_noise'
]

#: Keypoint groups whose scores are measured (and drawn by the noise model): COCO-WholeBody
#: index ranges. Hands are one group (MediaPipe scores both alike).
SCORE_GROUPS: Dict[str, Tuple[int, int]] = {
    'head': (0, 5),  # nose, eyes, ears
    'arms': (5, 11),  # shoulders, elbows, wrists
    'hips': (11, 13),
    'legs': (13, 17),
    'face': KEYPOINT_RANGES['face'],
    'hands': (KEYPOINT_RANGES['left_hand'][0], KEYPOINT_RANGES['right_hand'][1]),
}
#: Probability levels of the reported score quantiles (0 and 1: the smallest and largest).
QUANTILE_LEVELS: Tuple[float, ...] = (0.0, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 1.0)

_HANDS = ('left_hand', 'right_hand')
_BODY = (0, 17)


def hand_presence(scores: np.ndarray) -> np.ndarray:
    """Whether each hand is given in each frame (any of its 21 points scored).

    Args:
        scores (np.ndarray): ``(T, 133)`` keypoint scores.

    Returns:
        np.ndarray: ``(T, 2)`` bool, columns left, right.
    """
    return np.stack([(scores[:, slice(*KEYPOINT_RANGES[h])] > 0).any(1) for h in _HANDS], 1)


def hand_extents_px(keypoints: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Side of the box around each hand's 21 points, pixels; NaN unless all 21 are scored.

    Args:
        keypoints (np.ndarray): ``(T, 133, 2)``.
        scores (np.ndarray): ``(T, 133)``.

    Returns:
        np.ndarray: ``(T, 2)`` float64 extents, columns left, right.
    """
    out = np.full((len(keypoints), 2), np.nan)
    for j, h in enumerate(_HANDS):
        sl = slice(*KEYPOINT_RANGES[h])
        full = (scores[:, sl] > 0).all(1)
        pts = keypoints[full, sl].astype(np.float64)
        out[full, j] = (pts.max(1) - pts.min(1)).max(1)
    return out


def moving_average_residual(points: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Residual of each point against the centred 3-frame moving average of its trajectory.

    Args:
        points (np.ndarray): ``(T, K, 2)``.
        valid (np.ndarray): ``(T, K)`` bool.

    Returns:
        np.ndarray: ``(T, K, 2)`` float64 ``p_t - (p_{t-1} + p_t + p_{t+1}) / 3``; NaN in the
        first and last frame and where any of the three is not valid.
    """
    p = points.astype(np.float64)
    out = np.full(p.shape, np.nan)
    if len(p) < 3:
        return out
    ok = valid[:-2] & valid[1:-1] & valid[2:]
    r = p[1:-1] - (p[:-2] + p[1:-1] + p[2:]) / 3
    r[~ok] = np.nan
    out[1:-1] = r
    return out


def _lag1(residual: np.ndarray) -> Tuple[float, float]:
    """Sums ``(sum r_t r_{t+1}, sum r_t^2)`` over consecutive defined residuals (per coord)."""
    a, b = residual[:-1], residual[1:]
    both = np.isfinite(a) & np.isfinite(b)
    return float((a * b)[both].sum()), float(((a * a + b * b) / 2)[both].sum())


def _ma3_autocorr(rho: float) -> float:
    """Lag-1 autocorrelation of the 3-frame moving-average residual of AR(1) noise ``rho``."""
    g = [rho**k for k in range(4)]
    var = 6 * g[0] - 8 * g[1] + 2 * g[2]
    cov = -4 * g[0] + 7 * g[1] - 4 * g[2] + g[3]
    return cov / var


def ar1_from_residual_autocorr(autocorr: float) -> float:
    """The AR(1) coefficient whose noise gives this residual autocorrelation.

    White noise gives -2/3, noise correlated over many frames tends to -1/2; values outside
    that range clip to 0 and 0.95.

    Args:
        autocorr (float): Lag-1 autocorrelation of :func:`moving_average_residual`.

    Returns:
        float: ``rho`` in [0, 0.95].
    """
    grid = np.linspace(0, 0.95, 96)
    values = np.array([_ma3_autocorr(r) for r in grid])
    return float(grid[np.argmin(np.abs(values - autocorr))])


def ma3_residual_scale(rho: float) -> float:
    """Median residual norm per unit per-coordinate noise std, for 2-D AR(1) noise ``rho``.

    The residual of one coordinate is Gaussian with std ``sqrt(var / 9)`` (see
    :func:`_ma3_autocorr`); the norm of two is Rayleigh, median ``sqrt(2 ln 2)`` x that std.
    """
    var = (6 - 8 * rho + 2 * rho**2) / 9
    return float(np.sqrt(2 * np.log(2)) * np.sqrt(var))


def missing_runs(missing: np.ndarray) -> List[Tuple[int, int]]:
    """Runs of True in a boolean sequence.

    Args:
        missing (np.ndarray): ``(T,)`` bool.

    Returns:
        list[tuple[int, int]]: ``(start, length)`` of each run.
    """
    m = np.concatenate([[False], np.asarray(missing, bool), [False]]).astype(np.int8)
    d = np.diff(m)
    starts, stops = np.nonzero(d == 1)[0], np.nonzero(d == -1)[0]
    return [(int(a), int(b - a)) for a, b in zip(starts, stops)]


@dataclass
class ClipKeypointNoise:
    """The raw measurements of one clip (pooled by :func:`pool_keypoint_noise`).

    Attributes:
        num_frames (int): T.
        hand_jitter (np.ndarray): ``(N,)`` residual norms of hand points / hand extent.
        hand_jitter_slow (np.ndarray): The same on slow frames.
        centroid_jitter_slow (np.ndarray): Residual norms of the hand centroid / extent, slow
            frames.
        shape_jitter_slow (np.ndarray): Residual norms of the points minus the centroid's
            residual / extent, slow frames.
        body_jitter (np.ndarray): Body points (0-16) / the clip's median hand extent.
        face_jitter (np.ndarray): Face points / the clip's median hand extent.
        lag1 (dict[str, tuple[float, float]]): Group -> sums for the lag-1 autocorrelation
            of the residual (``'hand'``, ``'hand_slow'``, ``'body'``, ``'face'``).
        missing (np.ndarray): ``(T, 2)`` bool, hand missing (left, right).
        face_missing (np.ndarray): ``(T,)`` bool.
        scores (dict[str, np.ndarray]): Group -> all its scores (zeros included).
        swaps (int): Frames with a left/right swap.
        swap_frames (int): Frames where a swap can be seen (both hands now and before).
        full_swaps (int): Frames where both hands are closer to the other's previous place.
        hand_extent_px (float): Median hand extent, pixels.
        zero_score_off_origin (int): Points scored 0 whose position is not (0, 0).
    """
    num_frames: int
    hand_jitter: np.ndarray
    hand_jitter_slow: np.ndarray
    centroid_jitter_slow: np.ndarray
    shape_jitter_slow: np.ndarray
    body_jitter: np.ndarray
    face_jitter: np.ndarray
    lag1: Dict[str, Tuple[float, float]]
    missing: np.ndarray
    face_missing: np.ndarray
    scores: Dict[str, np.ndarray]
    swaps: int
    swap_frames: int
    full_swaps: int
    hand_extent_px: float
    zero_score_off_origin: int = 0
    extra: Dict = field(default_factory=dict)


def _norm(r: np.ndarray) -> np.ndarray:
    return np.sqrt((r**2).sum(-1))


def _slow_frames(points: np.ndarray, valid: np.ndarray, quantile: float) -> np.ndarray:
    """``(T,)`` bool: frames whose centroid's 5-frame speed is in the lowest ``quantile``."""
    t = len(points)
    # the points given in (nearly) every frame: the legs of a signer are mostly out of view
    steady = valid.sum(0) >= 0.9 * valid.any(1).sum() if t else np.zeros(0, bool)
    if not steady.any():
        return np.zeros(t, bool)
    full = valid[:, steady].all(1)
    cen = np.where(full[:, None], points[:, steady].mean(1), np.nan)
    speed = np.full(t, np.nan)
    if t >= 5:
        speed[2:-2] = _norm(cen[4:] - cen[:-4]) / 4
    finite = np.isfinite(speed)
    if not finite.any():
        return finite
    return finite & (speed <= np.quantile(speed[finite], quantile))


def measure_keypoint_noise(keypoints: np.ndarray,
                           scores: np.ndarray,
                           slow_quantile: float = 0.1,
                           duplicate_sep: float = 0.2) -> ClipKeypointNoise:
    """Measure one clip's keypoint noise (see the module docstring).

    Args:
        keypoints (np.ndarray): ``(T, 133, 2)`` keypoints, pixels (a sign annotation's).
        scores (np.ndarray): ``(T, 133)`` their scores; 0 = not given.
        slow_quantile (float): Frames whose group centroid moves less than this quantile of
            the clip's speeds count as slow. Defaults to 0.1.
        duplicate_sep (float): Both hands closer than this x the hand extent: one hand
            labelled twice. Defaults to 0.2.

    Returns:
        ClipKeypointNoise: The raw measurements.
    """
    kps = np.asarray(keypoints, np.float64)
    scores = np.asarray(scores, np.float64)
    t = len(kps)
    extents = hand_extents_px(kps, scores)
    clip_extent = float(np.nanmedian(extents)) if np.isfinite(extents).any() else np.nan
    hand, hand_slow, cen_slow, shape_slow = [], [], [], []
    lag = {k: [0.0, 0.0] for k in ('hand', 'hand_slow', 'body', 'face')}

    def add_lag(name, res):
        for c in range(res.shape[-1]):
            for k in range(res.shape[1]):
                a, b = _lag1(res[:, k, c])
                lag[name][0] += a
                lag[name][1] += b

    for j, h in enumerate(_HANDS):
        sl = slice(*KEYPOINT_RANGES[h])
        valid = scores[:, sl] > 0
        full = valid.all(1)
        res = moving_average_residual(kps[:, sl], valid & full[:, None])  # (T, 21, 2)
        ext = extents[:, j][:, None]
        hand.append((_norm(res) / ext)[np.isfinite(res[..., 0])])
        add_lag('hand', res)
        slow = _slow_frames(kps[:, sl], valid & full[:, None], slow_quantile)
        res_slow = np.where(slow[:, None, None], res, np.nan)
        ok = np.isfinite(res_slow[..., 0])
        hand_slow.append((_norm(res_slow) / ext)[ok])
        add_lag('hand_slow', res_slow)
        cres = res_slow.mean(1)  # centroid residual (T, 2)
        okc = np.isfinite(cres[:, 0])
        cen_slow.append(_norm(cres)[okc] / ext[okc, 0])
        shape_slow.append((_norm(res_slow - cres[:, None]) / ext)[ok])

    # body and face on their slow frames too: MediaPipe smooths the pose, so what is left of
    # its residual on moving frames is mostly motion
    body_valid = scores[:, slice(*_BODY)] > 0
    body = moving_average_residual(kps[:, slice(*_BODY)], body_valid)
    body[~_slow_frames(kps[:, slice(*_BODY)], body_valid, slow_quantile)] = np.nan
    face_sl = slice(*KEYPOINT_RANGES['face'])
    face = moving_average_residual(kps[:, face_sl], scores[:, face_sl] > 0)
    face[~_slow_frames(kps[:, face_sl], scores[:, face_sl] > 0, slow_quantile)] = np.nan
    add_lag('body', body)
    add_lag('face', face)

    present = hand_presence(scores)
    cents = np.stack([
        np.where(present[:, j, None],
                 np.nanmean(np.where(scores[:, slice(*KEYPOINT_RANGES[h]), None] > 0,
                                     kps[:, slice(*KEYPOINT_RANGES[h])], np.nan), 1)
                 if t else np.zeros((0, 2)), np.nan) for j, h in enumerate(_HANDS)
    ], 1) if t else np.zeros((0, 2, 2))
    both = present.all(1)
    eligible = both[1:] & both[:-1]
    swaps = full_swaps = 0
    if eligible.any():
        cur, prev = cents[1:][eligible], cents[:-1][eligible]  # (n, 2 hands, 2)
        d_same = _norm(cur - prev)
        d_other = _norm(cur - prev[:, ::-1])
        closer = d_other < d_same  # (n, 2)
        swaps, full_swaps = int(closer.any(1).sum()), int(closer.all(1).sum())

    sep = _norm(cents[:, 0] - cents[:, 1]) / clip_extent if t else np.zeros(0)
    duplicate = both & (sep < duplicate_sep)

    group_scores = {g: scores[:, a:b].ravel() for g, (a, b) in SCORE_GROUPS.items()}
    zero_off = int(((scores <= 0) & (np.abs(kps).sum(-1) > 0)).sum())
    return ClipKeypointNoise(
        num_frames=t,
        hand_jitter=np.concatenate(hand), hand_jitter_slow=np.concatenate(hand_slow),
        centroid_jitter_slow=np.concatenate(cen_slow),
        shape_jitter_slow=np.concatenate(shape_slow),
        body_jitter=(_norm(body) / clip_extent)[np.isfinite(body[..., 0])],
        face_jitter=(_norm(face) / clip_extent)[np.isfinite(face[..., 0])],
        lag1={k: (v[0], v[1]) for k, v in lag.items()},
        missing=~present, face_missing=~(scores[:, face_sl] > 0).any(1),
        scores=group_scores, swaps=swaps, swap_frames=int(eligible.sum()),
        full_swaps=full_swaps, hand_extent_px=clip_extent, zero_score_off_origin=zero_off,
        extra=dict(duplicate=duplicate, both_present=both))


def _quantiles(values: np.ndarray, levels: Sequence[float] = (0.5, 0.9)) -> Optional[List]:
    values = values[np.isfinite(values)]
    if not len(values):
        return None
    return [float(v) for v in np.quantile(values, levels)]


def _run_histogram(runs: Sequence[int]) -> Dict[str, int]:
    bins = (('1', 1, 1), ('2', 2, 2), ('3-5', 3, 5), ('6-15', 6, 15), ('>15', 16, 1 << 30))
    return {name: int(sum(lo <= r <= hi for r in runs)) for name, lo, hi in bins}


def pool_keypoint_noise(clips: Sequence[ClipKeypointNoise]) -> Dict:
    """Summarise one or more clips' measurements as the figures of ``docs/keypoint_noise.md``.

    Args:
        clips (Sequence[ClipKeypointNoise]): Measurements, pooled by frame (a long clip
            weighs more).

    Returns:
        dict: JSON-ready figures: ``frames``, ``jitter`` (median and 90th percentile per group,
        relative to the hand extent), ``autocorr`` (lag-1 autocorrelation of the residual),
        ``missing`` (shares and run-length figures), ``scores`` (quantiles of the non-zero
        scores at :data:`QUANTILE_LEVELS`, share of zeros), ``swaps``.
    """
    cat = lambda name: np.concatenate([getattr(c, name) for c in clips])  # noqa: E731
    frames = int(sum(c.num_frames for c in clips))
    out: Dict = dict(clips=len(clips), frames=frames)
    jitter = {}
    for name in ('hand_jitter', 'hand_jitter_slow', 'centroid_jitter_slow', 'shape_jitter_slow',
                 'body_jitter', 'face_jitter'):
        q = _quantiles(cat(name))
        jitter[name.replace('_jitter', '')] = dict(
            median=None if q is None else q[0], p90=None if q is None else q[1],
            n=int(np.isfinite(cat(name)).sum()))
    out['jitter'] = jitter
    auto = {}
    for k in ('hand', 'hand_slow', 'body', 'face'):
        num = sum(c.lag1[k][0] for c in clips)
        den = sum(c.lag1[k][1] for c in clips)
        auto[k] = num / den if den > 0 else None
    out['autocorr'] = auto
    missing = np.concatenate([c.missing for c in clips]) if clips else np.zeros((0, 2), bool)
    runs: Dict[str, List[Tuple[int, int, int]]] = {'left': [], 'right': []}
    for c in clips:
        for j, side in enumerate(('left', 'right')):
            runs[side] += [(s, n, c.num_frames) for s, n in missing_runs(c.missing[:, j])]
    miss = dict(left=float(missing[:, 0].mean()) if frames else None,
                right=float(missing[:, 1].mean()) if frames else None,
                either=float(missing.any(1).mean()) if frames else None,
                both=float(missing.all(1).mean()) if frames else None,
                face=float(np.concatenate([c.face_missing for c in clips]).mean())
                if frames else None)
    all_runs = [n for side in runs.values() for _, n, _ in side]
    # a run touching the clip's first or last frame may be a hand not yet raised (or already
    # lowered) out of the frame: those are told apart from drops in the middle
    inner = [n for side in runs.values() for s, n, t in side if s > 0 and s + n < t]
    present_frames = int((~missing).sum())
    miss['runs'] = dict(
        count=len(all_runs), mean_length=float(np.mean(all_runs)) if all_runs else None,
        histogram=_run_histogram(all_runs), inner_count=len(inner),
        inner_mean_length=float(np.mean(inner)) if inner else None,
        inner_histogram=_run_histogram(inner),
        inner_per_100_present_hand_frames=100 * len(inner) / max(present_frames, 1),
        inner_missing_share=float(sum(inner) / max(2 * frames, 1)), inner_lengths=inner)
    out['missing'] = miss
    scores = {}
    for g in SCORE_GROUPS:
        v = np.concatenate([c.scores[g] for c in clips])
        pos = v[v > 0]
        scores[g] = dict(zero_share=float((v <= 0).mean()) if len(v) else None,
                         quantiles=_quantiles(pos, QUANTILE_LEVELS))
    scores['zero_score_off_origin'] = int(sum(c.zero_score_off_origin for c in clips))
    out['scores'] = scores
    swap_frames = sum(c.swap_frames for c in clips)
    out['swaps'] = dict(
        frames=int(sum(c.swaps for c in clips)), full=int(sum(c.full_swaps for c in clips)),
        eligible_frames=int(swap_frames),
        per_100_frames=100 * sum(c.swaps for c in clips) / swap_frames if swap_frames else None)
    dup_runs = [n for c in clips for _, n in missing_runs(c.extra['duplicate'])]
    both_frames = int(sum(c.extra['both_present'].sum() for c in clips))
    out['duplicates'] = dict(
        frames=int(sum(c.extra['duplicate'].sum() for c in clips)), runs=len(dup_runs),
        mean_run=float(np.mean(dup_runs)) if dup_runs else None, both_present_frames=both_frames,
        per_100_frames=100 * sum(c.extra['duplicate'].sum() for c in clips) / both_frames
        if both_frames else None)
    out['hand_extent_px_median'] = float(np.nanmedian([c.hand_extent_px for c in clips]))
    return out


def fit_keypoint_noise(pooled: Mapping) -> Dict:
    """Parameters of :class:`~signmae_mm.demo.keypoint_noise.KeypointNoise` from pooled figures.

    Jitter: the slow-frame medians (mostly noise) through the residual scale of AR(1) noise
    of the coefficient the slow-frame autocorrelation gives. Dropouts: the runs that start and
    end inside a clip (a run at a clip's start or end is mostly a hand not raised yet, which
    the demo's signer never has). Swaps: frames where *both* hands are closer to the other's
    previous place. Duplicates: both labels on one hand.

    Args:
        pooled (Mapping): What :func:`pool_keypoint_noise` returned.

    Returns:
        dict: Keyword arguments of ``KeypointNoise``.
    """
    j, a, m = pooled['jitter'], pooled['autocorr'], pooled['missing']
    rho_hand = ar1_from_residual_autocorr(a['hand_slow'])
    rho_body = ar1_from_residual_autocorr(a['body'])
    s_hand, s_body = ma3_residual_scale(rho_hand), ma3_residual_scale(rho_body)
    runs, swaps, dup = m['runs'], pooled['swaps'], pooled['duplicates']
    return dict(
        hand_shift_std=round(j['centroid_slow']['median'] / s_hand, 5),
        hand_point_std=round(j['shape_slow']['median'] / s_hand, 5),
        hand_rho=round(rho_hand, 3),
        body_std=round(j['body']['median'] / s_body, 5),
        face_std=round(j['face']['median'] / s_body, 5) if j['face']['median'] else 0.0,
        body_rho=round(rho_body, 3),
        dropouts_per_100_frames=round(runs['inner_per_100_present_hand_frames'], 3),
        dropout_run_lengths=tuple(sorted(runs['inner_lengths'])),
        swaps_per_100_frames=round(100 * swaps['full'] / max(swaps['eligible_frames'], 1), 3),
        duplicates_per_100_frames=round(
            100 * dup['runs'] / max(dup['both_present_frames'], 1), 3),
        duplicate_mean_run=round(dup['mean_run'] or 1.0, 3),
        score_quantiles={
            g: tuple(round(v, 4) for v in pooled['scores'][g]['quantiles'])
            for g in SCORE_GROUPS if pooled['scores'][g]['quantiles'] is not None
        })
