"""MediaPipe-like noise for the demo's exact keypoints.

The demo renderer knows every keypoint exactly; real sign annotations come from MediaPipe
Holistic (:mod:`signmae_mm.preprocessing.holistic_keypoints`), which jitters, loses hands for a
frame or a few, puts both hand labels on one hand, and scores points its own way.
:class:`KeypointNoise` adds that to a clip's keypoints, with the parameters measured on real
sign clips (``docs/keypoint_noise.md``, ``benchmarks/measure_keypoint_noise.py``) as its
defaults.

Only keypoints and their scores change: the demo's part maps come from the renderer's paint,
not from keypoints, so they stay exact (``write_demo_dataset(keypoint_noise=...)`` documents
this too).
"""
from dataclasses import asdict, dataclass, field
from typing import Dict, Optional, Sequence, Tuple, Union

import numpy as np

from ..structures import KEYPOINT_RANGES

__all__ = ['SCORE_GROUPS', 'QUANTILE_LEVELS', 'MEASURED_SCORE_QUANTILES', 'KeypointNoise']

#: Keypoint groups whose scores are drawn (COCO-WholeBody ranges), as measured by
#: :mod:`signmae_mm.evaluation.keypoint_noise` (the same table; repeated here so that the
#: demo does not import the evaluation package).
SCORE_GROUPS: Dict[str, Tuple[int, int]] = {
    'head': (0, 5),
    'arms': (5, 11),
    'hips': (11, 13),
    'legs': (13, 17),
    'face': KEYPOINT_RANGES['face'],
    'hands': (KEYPOINT_RANGES['left_hand'][0], KEYPOINT_RANGES['right_hand'][1]),
}
#: Probability levels of the score quantiles.
QUANTILE_LEVELS: Tuple[float, ...] = (0.0, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 1.0)
#: Quantiles (at :data:`QUANTILE_LEVELS`) of MediaPipe's non-zero scores per group on the real
#: sign clips (docs/keypoint_noise.md, "Scores"). Face and hands: always 1 (Holistic gives no
#: per-point confidence for them); legs: never given on those clips (not drawn by the demo
#: either), so absent.
MEASURED_SCORE_QUANTILES: Dict[str, Tuple[float, ...]] = {
    'head': (0.9764, 0.9977, 0.9985, 0.9992, 0.9998, 1.0, 1.0, 1.0, 1.0),
    'arms': (0.1983, 0.8179, 0.9167, 0.9897, 0.9978, 0.9996, 0.9999, 1.0, 1.0),
    'hips': (0.0605, 0.073, 0.6833, 0.9657, 0.9803, 0.9852, 0.9874, 0.9887, 0.9922),
    'face': (1.0, ) * 9,
    'hands': (1.0, ) * 9,
}
# inner missing runs of a hand on the real sign clips (docs/keypoint_noise.md, "Missing hands")
_MEASURED_RUN_LENGTHS = (1, ) * 34 + (2, 2, 3, 3, 3, 4, 4, 5, 5, 5, 6, 7, 8, 37)

_LEFT, _RIGHT = slice(*KEYPOINT_RANGES['left_hand']), slice(*KEYPOINT_RANGES['right_hand'])
_BODY_FEET = slice(0, KEYPOINT_RANGES['feet'][1])
_FACE = slice(*KEYPOINT_RANGES['face'])


def _ar1(rng: np.random.Generator, num_frames: int, shape: Tuple[int, ...],
         rho: float) -> np.ndarray:
    """``(T, *shape)`` AR(1) noise with stationary unit variance and lag-1 correlation rho."""
    e = rng.standard_normal((num_frames, ) + shape)
    out = np.empty_like(e)
    if num_frames:
        out[0] = e[0]
    scale = np.sqrt(1 - rho**2)
    for t in range(1, num_frames):
        out[t] = rho * out[t - 1] + scale * e[t]
    return out


def _runs(rng: np.random.Generator, num_frames: int, per_100_frames: float,
          lengths: Sequence[float], eligible: Optional[np.ndarray] = None) -> np.ndarray:
    """``(T,)`` bool runs: one starts at an eligible frame outside a run with probability
    ``per_100_frames / 100``; its length is drawn from ``lengths`` (one value: a geometric
    length of that mean; several: the empirical distribution)."""
    p = per_100_frames / 100
    start_u = rng.random(num_frames)
    len_u = rng.random(num_frames)
    out = np.zeros(num_frames, bool)
    t = 0
    while t < num_frames:
        if (eligible is None or eligible[t]) and start_u[t] < p:
            if len(lengths) == 1:
                n = int(np.ceil(np.log1p(-len_u[t]) / np.log1p(-1 / max(lengths[0], 1.0)))) \
                    if lengths[0] > 1 else 1
            else:
                n = int(lengths[min(int(len_u[t] * len(lengths)), len(lengths) - 1)])
            out[t:t + max(n, 1)] = True
            t += max(n, 1)
        else:
            t += 1
    return out


@dataclass
class KeypointNoise:
    """MediaPipe Holistic's keypoint noise, measured on real sign clips.

    Every default is a figure of ``docs/keypoint_noise.md`` (fitted by
    :func:`signmae_mm.evaluation.keypoint_noise.fit_keypoint_noise`); this class is the one
    place they live.

    Attributes:
        hand_shift_std (float): Std of the whole-hand shift, per coordinate, as a fraction of
            the hand's extent in the frame (docs: "Jitter", centroid on slow frames).
        hand_point_std (float): Std of each hand point's own wobble, fraction of the hand
            extent (docs: "Jitter", shape on slow frames).
        hand_rho (float): Frame-to-frame correlation (AR(1)) of the hand jitter (docs:
            "Jitter", autocorrelation on slow frames).
        body_std (float): Std of the body and feet points' jitter, fraction of the clip's
            median hand extent (docs: "Jitter", body).
        face_std (float): The same for the face points (docs: "Jitter", face).
        body_rho (float): Frame-to-frame correlation of the body and face jitter (MediaPipe
            smooths the pose; docs: "Jitter").
        dropouts_per_100_frames (float): Hand dropouts starting per 100 frames the hand is
            there (docs: "Missing hands", runs inside a clip).
        dropout_run_lengths (tuple[int]): The measured lengths of those runs, drawn from
            uniformly (docs: "Missing hands").
        swaps_per_100_frames (float): Left/right label swaps per 100 frames (docs: "Swaps":
            none seen, so 0 by default).
        swap_mean_run (float): Mean frames a swap lasts (geometric).
        duplicates_per_100_frames (float): Runs per 100 frames where both hand labels sit on
            one hand (docs: "Swaps", duplicates).
        duplicate_mean_run (float): Their mean length, frames (geometric).
        score_quantiles (dict[str, tuple[float]]): Per :data:`SCORE_GROUPS` group the
            quantiles at :data:`QUANTILE_LEVELS` that scores of given points are drawn from
            (docs: "Scores"); a group not listed keeps its scores.
    """
    hand_shift_std: float = 0.0085  # docs/keypoint_noise.md: centroid_slow 0.00305 / 0.358
    hand_point_std: float = 0.0086  # docs/keypoint_noise.md: shape_slow 0.00309 / 0.358
    hand_rho: float = 0.81  # docs/keypoint_noise.md: slow-frame residual autocorr -0.508
    body_std: float = 0.002  # docs/keypoint_noise.md: body slow median 0.00036 / 0.177
    face_std: float = 0.0072  # docs/keypoint_noise.md: face slow median 0.00129 / 0.177
    body_rho: float = 0.95  # docs/keypoint_noise.md: residual autocorr above -1/2: clipped
    dropouts_per_100_frames: float = 2.976  # docs/keypoint_noise.md: 48 inner runs
    dropout_run_lengths: Tuple[int, ...] = _MEASURED_RUN_LENGTHS  # docs: inner run lengths
    swaps_per_100_frames: float = 0.0  # docs/keypoint_noise.md: 0 full swaps in 661 frames
    swap_mean_run: float = 1.0
    duplicates_per_100_frames: float = 3.683  # docs/keypoint_noise.md: 26 runs / 706 frames
    duplicate_mean_run: float = 2.692  # docs/keypoint_noise.md: 70 frames / 26 runs
    score_quantiles: Dict[str, Tuple[float, ...]] = field(
        default_factory=lambda: dict(MEASURED_SCORE_QUANTILES))  # docs: "Scores"

    def to_dict(self) -> Dict:
        """The parameters as JSON-ready values (what ``vocabulary.json`` records)."""
        d = asdict(self)
        d['dropout_run_lengths'] = list(d['dropout_run_lengths'])
        d['score_quantiles'] = {k: list(v) for k, v in d['score_quantiles'].items()}
        return d

    def apply(self,
              keypoints: np.ndarray,
              scores: np.ndarray,
              img_shape: Tuple[int, int],
              rng: np.random.Generator,
              hand_extent: Optional[Union[float, np.ndarray]] = None
              ) -> Tuple[np.ndarray, np.ndarray]:
        """Noisy copies of a clip's keypoints and scores.

        In order: jitter (given points only), scores drawn from the measured distributions,
        left/right swaps, duplicates (both labels on one hand), hand dropouts; then, as
        :func:`~signmae_mm.preprocessing.holistic_keypoints.holistic_to_coco_wholebody` writes
        them, a point outside the frame or not given gets score 0 and position (0, 0).

        Args:
            keypoints (np.ndarray): ``(T, 133, 2)`` exact keypoints, pixels.
            scores (np.ndarray): ``(T, 133)``; 0 = not drawn (stays 0).
            img_shape (tuple[int, int]): ``(H, W)`` of the frames.
            rng (np.random.Generator): All randomness; the output is a function of it.
            hand_extent (float | np.ndarray, optional): Hand extent in pixels, a number or
                ``(T, 2)`` (left, right) per frame. Default: the side of the box of each
                hand's given points in each frame.

        Returns:
            tuple[np.ndarray, np.ndarray]: ``(T, 133, 2)`` float32 keypoints and ``(T, 133)``
            float32 scores.
        """
        kps = np.array(keypoints, np.float64)
        sc = np.array(scores, np.float64)
        t = len(kps)
        given = sc > 0
        ext = self._hand_extent(kps, given, img_shape, hand_extent)  # (T, 2)
        ref = float(np.median(ext)) if t else 0.0

        # jitter
        for j, sl in enumerate((_LEFT, _RIGHT)):
            n = sl.stop - sl.start
            noise = (self.hand_shift_std * _ar1(rng, t, (1, 2), self.hand_rho) +
                     self.hand_point_std * _ar1(rng, t, (n, 2), self.hand_rho))
            kps[:, sl] += ext[:, j, None, None] * noise
        kps[:, _BODY_FEET] += ref * self.body_std * _ar1(
            rng, t, (_BODY_FEET.stop, 2), self.body_rho)
        kps[:, _FACE] += ref * self.face_std * _ar1(
            rng, t, (_FACE.stop - _FACE.start, 2), self.body_rho)

        # scores of the given points, drawn per frame and point
        for group, q in self.score_quantiles.items():
            a, b = SCORE_GROUPS[group]
            u = rng.random((t, b - a))
            drawn = np.interp(u, QUANTILE_LEVELS, q)
            sc[:, a:b] = np.where(given[:, a:b], drawn, 0.0)

        # left/right swaps: the two hands' labels exchanged for a run of frames
        swap = _runs(rng, t, self.swaps_per_100_frames, (self.swap_mean_run, ))
        for arr in (kps, sc):
            left = arr[swap, _LEFT].copy()
            arr[swap, _LEFT] = arr[swap, _RIGHT]
            arr[swap, _RIGHT] = left

        # duplicates: one hand labelled twice (the other hand's label moves onto it)
        both = (sc[:, _LEFT] > 0).any(1) & (sc[:, _RIGHT] > 0).any(1)
        dup = _runs(rng, t, self.duplicates_per_100_frames, (self.duplicate_mean_run, ), both)
        onto_left = rng.random(t) < 0.5
        for src, dst, mask in ((_LEFT, _RIGHT, dup & onto_left), (_RIGHT, _LEFT, dup & ~onto_left)):
            kps[mask, dst] = kps[mask, src]
            sc[mask, dst] = sc[mask, src]

        # whole-hand dropouts
        for sl in (_LEFT, _RIGHT):
            present = (sc[:, sl] > 0).any(1)
            drop = _runs(rng, t, self.dropouts_per_100_frames, self.dropout_run_lengths,
                         present)
            sc[drop, sl] = 0

        h, w = img_shape
        inside = (kps[..., 0] >= 0) & (kps[..., 0] <= w) & (kps[..., 1] >= 0) & (kps[..., 1] <= h)
        sc[~inside] = 0
        kps[sc <= 0] = 0
        return kps.astype(np.float32), sc.astype(np.float32)

    @staticmethod
    def _hand_extent(kps: np.ndarray, given: np.ndarray, img_shape: Tuple[int, int],
                     hand_extent: Optional[Union[float, np.ndarray]]) -> np.ndarray:
        t = len(kps)
        if hand_extent is not None:
            return np.broadcast_to(np.asarray(hand_extent, np.float64), (t, 2)).copy()
        ext = np.full((t, 2), np.nan)
        for j, sl in enumerate((_LEFT, _RIGHT)):
            for i in range(t):
                pts = kps[i, sl][given[i, sl]]
                if len(pts) >= 2:
                    ext[i, j] = (pts.max(0) - pts.min(0)).max()
        if np.isfinite(ext).any():
            fallback = float(np.nanmedian(ext))
        else:  # no hand anywhere: the demo's median hand, 0.175 of the short side
            fallback = 0.175 * min(img_shape)
        return np.where(np.isfinite(ext), ext, fallback)
