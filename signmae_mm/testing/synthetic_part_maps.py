"""Part maps of a drawn signer, for tests and benchmarks of the part-map consumers."""
from typing import Tuple

import numpy as np

__all__ = ['signer_part_maps']


def signer_part_maps(frames: int = 16,
                     grid: Tuple[int, int] = (32, 32),
                     seed: int = 0,
                     hand_radius: Tuple[int, int] = (14, 17),
                     phase_jitter: float = 0.0) -> np.ndarray:
    """Part maps of a signer whose hands circle in front of the body, ``(T, 7, Gh, Gw)`` uint8.

    A 256x256 Sapiens-class label map per frame (face, both upper and lower arms, both hands)
    goes through :func:`~signmae_mm.datasets.part_maps_from_label_map`, as a real part map does.

    Args:
        frames (int): ``T``.
        grid (tuple[int, int]): ``(Gh, Gw)``; each must divide 256.
        seed (int): Seed of the hand sizes (and phase jitter).
        hand_radius (tuple[int, int]): Hand radius in pixels, drawn in ``[low, high)`` per frame.
        phase_jitter (float): Each hand's phase is shifted by up to this many radians per frame
            (0: a smooth circle).

    Returns:
        np.ndarray: ``(T, len(PART_GROUPS), Gh, Gw)`` uint8.
    """
    import cv2

    from ..structures import SAPIENS_CLASSES, part_maps_from_label_map
    rng = np.random.default_rng(seed)
    size = 256
    labels = np.zeros((frames, size, size), np.int32)  # cv2 draws on int32, not int64
    cls = {g: SAPIENS_CLASSES.index(n) for g, n in (
        ('lh', 'Left_Hand'), ('rh', 'Right_Hand'), ('lla', 'Left_Lower_Arm'),
        ('rla', 'Right_Lower_Arm'), ('lua', 'Left_Upper_Arm'), ('rua', 'Right_Upper_Arm'),
        ('face', 'Face_Neck'))}
    for t in range(frames):
        img = labels[t]
        cv2.ellipse(img, (128, 60), (28, 36), 0, 0, 360, cls['face'], -1)
        for side, sx in (('l', 1), ('r', -1)):
            shoulder, elbow = (128 + sx * 50, 110), (128 + sx * 70, 170)
            phase = 2 * np.pi * t / frames + (0 if side == 'l' else np.pi / 2)
            if phase_jitter:
                phase += phase_jitter * rng.uniform()
            hand = (int(128 + sx * 30 + 25 * np.cos(phase)), int(120 + 25 * np.sin(phase)))
            cv2.line(img, shoulder, elbow, cls[side + 'ua'], 16)
            cv2.line(img, elbow, hand, cls[side + 'la'], 14)
            radius = int(rng.integers(hand_radius[0], hand_radius[1]))
            cv2.circle(img, hand, radius, cls[side + 'h'], -1)
    return part_maps_from_label_map(labels, tuple(grid))
