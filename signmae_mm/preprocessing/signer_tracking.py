"""Keep one person per video, the signer: large and confident, and continuous over time."""
from dataclasses import dataclass
from typing import Sequence, Tuple

import numpy as np

__all__ = ['FILL_MODES', 'SignerTrack', 'box_iou', 'fill_missing_boxes', 'track_signer',
           'whole_frame_track']

FILL_MODES = ('interpolate', 'none')


@dataclass
class SignerTrack:
    """The signer's box in every frame.

    Attributes:
        bboxes (np.ndarray): ``(T, 4)`` float32 ``(x1, y1, x2, y2)``; zeros where no box.
        scores (np.ndarray): ``(T, )`` float32 detection score of the chosen box (0 where
            the box was filled in or none was found).
        detected (np.ndarray): ``(T, )`` bool, the box comes from the detector in that frame.
        filled (np.ndarray): ``(T, )`` bool, the box was filled in from neighbouring frames.
    """
    bboxes: np.ndarray
    scores: np.ndarray
    detected: np.ndarray
    filled: np.ndarray

    @property
    def num_frames(self) -> int:
        return len(self.bboxes)


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise IoU of ``(N, 4)`` and ``(M, 4)`` ``xyxy`` boxes, ``(N, M)``."""
    a, b = np.asarray(a, np.float64)[:, None, :4], np.asarray(b, np.float64)[None, :, :4]
    iw = np.clip(np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0]), 0, None)
    ih = np.clip(np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1]), 0, None)
    inter = iw * ih
    area_a = (a[..., 2] - a[..., 0]) * (a[..., 3] - a[..., 1])
    area_b = (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])
    return inter / np.maximum(area_a + area_b - inter, 1e-9)


def track_signer(detections: Sequence[np.ndarray],
                 iou_weight: float = 1.0,
                 topk: int = 5) -> SignerTrack:
    """Choose the signer among the person boxes of every frame.

    A sign video shows one signer, usually the largest and most confident person, who stays in
    place; others (interpreters, passers-by) are smaller or come and go. The choice is the path
    through the frames' candidates that maximises, by dynamic programming (Viterbi),

        sum_t score_t * area_t / max_area  +  iou_weight * sum_t IoU(box_t, box_prev)

    where ``box_prev`` is the chosen box of the previous frame that has candidates. With one
    person per frame this is simply that person; with several it keeps the large, confident one
    and does not jump between people from frame to frame.

    Args:
        detections (Sequence[np.ndarray]): Per frame, ``(N, 5)`` person boxes
            ``(x1, y1, x2, y2, score)`` (``N`` may be 0).
        iou_weight (float): Weight of temporal continuity. Defaults to 1.
        topk (int): Candidates per frame considered (by ``score * area``). Defaults to 5.

    Returns:
        SignerTrack: Boxes of the frames with candidates; other frames hold zeros and
        ``detected=False`` (see :func:`fill_missing_boxes`).
    """
    num = len(detections)
    bboxes = np.zeros((num, 4), np.float32)
    scores = np.zeros(num, np.float32)
    detected = np.zeros(num, bool)
    cands = []
    for det in detections:
        det = np.asarray(det, np.float32).reshape(-1, 5)
        wh = np.clip(det[:, 2:4] - det[:, 0:2], 0, None)
        det = det[(wh > 0).all(1)]
        area = np.prod(np.clip(det[:, 2:4] - det[:, 0:2], 0, None), 1)
        cands.append(det[np.argsort(-det[:, 4] * area, kind='stable')[:topk]])
    frames = [t for t, c in enumerate(cands) if len(c)]
    if not frames:
        return SignerTrack(bboxes, scores, detected, np.zeros(num, bool))
    max_area = max(float(np.prod(c[:, 2:4] - c[:, 0:2], 1).max()) for c in cands if len(c))
    unary = [c[:, 4] * np.prod(c[:, 2:4] - c[:, 0:2], 1) / max_area for c in cands]
    # Viterbi over the frames that have candidates
    best = unary[frames[0]].astype(np.float64)
    back = {}
    for prev, cur in zip(frames[:-1], frames[1:]):
        total = best[:, None] + iou_weight * box_iou(cands[prev], cands[cur])
        back[cur] = total.argmax(0)
        best = total.max(0) + unary[cur]
    choice = int(best.argmax())
    for t in reversed(frames):
        bboxes[t] = cands[t][choice, :4]
        scores[t] = cands[t][choice, 4]
        detected[t] = True
        if t in back:
            choice = int(back[t][choice])
    return SignerTrack(bboxes, scores, detected, np.zeros(num, bool))


def fill_missing_boxes(track: SignerTrack, mode: str = 'interpolate') -> SignerTrack:
    """Give frames without a detected signer a box from the neighbouring frames.

    A detector misses the signer in single frames (motion blur, hands over the face); the
    keypoints of those frames are still wanted. ``'interpolate'`` interpolates the box
    linearly between the nearest detected frames before and after, and repeats the first / last
    detected box at the ends; ``'none'`` leaves those frames without a box (zeros: no
    keypoints and empty part maps there).

    Args:
        track (SignerTrack): The output of :func:`track_signer`.
        mode (str): ``'interpolate'`` or ``'none'``. Defaults to ``'interpolate'``.

    Returns:
        SignerTrack: A new track; ``filled`` marks the frames given a box here.
    """
    if mode not in FILL_MODES:
        raise ValueError(f'fill mode must be one of {FILL_MODES}, got {mode!r}')
    bboxes = track.bboxes.copy()
    filled = np.zeros(track.num_frames, bool)
    known = np.flatnonzero(track.detected)
    if mode == 'interpolate' and 0 < len(known) < track.num_frames:
        missing = np.flatnonzero(~track.detected)
        for k in range(4):  # np.interp repeats the end values outside the known range
            bboxes[missing, k] = np.interp(missing, known, track.bboxes[known, k])
        filled[missing] = True
    return SignerTrack(bboxes, track.scores.copy(), track.detected.copy(), filled)


def whole_frame_track(num_frames: int, img_shape: Tuple[int, int]) -> SignerTrack:
    """A track whose box is the whole frame in every frame (the no-person fallback).

    Args:
        num_frames (int): ``T``.
        img_shape (tuple[int, int]): ``(H, W)`` of the frames.

    Returns:
        SignerTrack: ``(0, 0, W, H)`` everywhere, neither detected nor filled.
    """
    h, w = img_shape
    bboxes = np.tile(np.array([[0, 0, w, h]], np.float32), (num_frames, 1))
    none = np.zeros(num_frames, bool)
    return SignerTrack(bboxes, np.zeros(num_frames, np.float32), none, none.copy())
