"""Render one demo sign clip: frames plus their exact keypoints, person boxes and part maps.

Everything random about a clip (look, body proportions, placement, timing, signing-space
jitter, tremor, sensor noise) comes from its seed, through independent streams, and none of it
depends on the sign: two signs rendered with the same seed show the same signer in the same
room moving on the same clock, so they differ exactly where the signs differ.
"""
from dataclasses import dataclass, replace
from typing import Sequence, Tuple, Union

import numpy as np

from ..structures import part_maps_from_label_map
from .appearance import Appearance, sample_appearance
from .hand import HAND_SHAPES
from .rasterize import compose_frames, draw_paint_maps, paint_to_classes
from .signer import BodyShape, pose_signer
from .signs import Sign

__all__ = ['RenderedClip', 'render_clip', 'clip_phase', 'person_boxes']

# Body units from the top of the hair to the bottom of the frame at scale 1: the signer is
# framed from just above the head to below the waist, as in sign-language corpora.
_FRAME_HEIGHT_UNITS = 2.05
# The signing space is scaled about this point (chest) by the per-video jitter.
_SPACE_ANCHOR = np.array([0.0, 0.3])


@dataclass
class RenderedClip:
    """One rendered clip and its ground truth.

    Attributes:
        sign (str): The sign's name.
        frames (np.ndarray): ``(T, H, W, 3)`` uint8 BGR.
        paint (np.ndarray): ``(T, H * s, W * s)`` uint8 paint ids of the supersampled canvas
            (see :data:`signmae_mm.demo.rasterize.PAINTS`).
        keypoints (np.ndarray): ``(T, 133, 2)`` float32 COCO-WholeBody points, pixels.
        keypoint_scores (np.ndarray): ``(T, 133)`` float32, 1 = drawn, 0 = not drawn.
        person_bboxes (np.ndarray): ``(T, 4)`` float32 ``(x1, y1, x2, y2)`` of the drawn signer.
        part_maps (np.ndarray): ``(T, 7, Gh, Gw)`` uint8 covered fractions x 255.
        phase (np.ndarray): ``(T,)`` sign phase of each frame (0 = before it starts, 1 = done).
        appearance (Appearance): Colours and background.
        supersample (int): ``s``, canvas pixels per output pixel.
    """
    sign: str
    frames: np.ndarray
    paint: np.ndarray
    keypoints: np.ndarray
    keypoint_scores: np.ndarray
    person_bboxes: np.ndarray
    part_maps: np.ndarray
    phase: np.ndarray
    appearance: Appearance
    supersample: int

    @property
    def class_maps(self) -> np.ndarray:
        """``(T, H * s, W * s)`` Sapiens class ids of the canvas."""
        return paint_to_classes(self.paint)


def clip_phase(num_frames: int, start: float, duration: float) -> np.ndarray:
    """Sign phase of each frame: the sign runs from ``start`` for ``duration`` (clip fractions).

    Args:
        num_frames (int): T.
        start (float): When the sign starts, as a fraction of the clip.
        duration (float): How long it lasts, as a fraction of the clip.

    Returns:
        np.ndarray: ``(T,)`` phases in [0, 1].
    """
    tau = np.arange(num_frames) / max(num_frames - 1, 1)
    return np.clip((tau - start) / duration, 0.0, 1.0)


def person_boxes(paint: np.ndarray, supersample: int) -> np.ndarray:
    """Boxes around the drawn pixels of each frame, in output pixels (edges, not centres).

    Args:
        paint (np.ndarray): ``(T, Hs, Ws)`` paint ids (0 = background).
        supersample (int): Canvas pixels per output pixel.

    Returns:
        np.ndarray: ``(T, 4)`` float32 ``(x1, y1, x2, y2)``; zeros where nothing is drawn.
    """
    drawn = paint > 0
    cols, rows = drawn.any(1), drawn.any(2)  # (T, Ws), (T, Hs)
    present = cols.any(1)
    x1 = cols.argmax(1)
    x2 = cols.shape[1] - cols[:, ::-1].argmax(1)
    y1 = rows.argmax(1)
    y2 = rows.shape[1] - rows[:, ::-1].argmax(1)
    boxes = np.stack([x1, y1, x2, y2], 1).astype(np.float32) / supersample
    boxes[~present] = 0.0
    return boxes


def render_clip(sign: Sign,
                seed: Union[int, Sequence[int]],
                num_frames: int = 32,
                size: Union[int, Tuple[int, int]] = 112,
                grid: Tuple[int, int] = (32, 32),
                supersample: int = 2) -> RenderedClip:
    """Render a sign as a clip, with its ground truth.

    Args:
        sign (Sign): What to sign.
        seed (int | Sequence[int]): Everything random about the clip (see the module
            docstring); any entropy ``np.random.SeedSequence`` accepts.
        num_frames (int): T. Defaults to 32.
        size (int | tuple[int, int]): ``S`` or ``(H, W)`` of the frames. Defaults to 112.
        grid (tuple[int, int]): ``(Gh, Gw)`` part-map grid. Defaults to ``(32, 32)``.
        supersample (int): Canvas pixels per output pixel, per side. Defaults to 2.

    Returns:
        RenderedClip: Frames, keypoints, boxes and part maps of the same geometry.
    """
    h, w = (size, size) if isinstance(size, int) else (int(size[0]), int(size[1]))
    if num_frames < 1 or h < 8 or w < 8 or supersample < 1:
        raise ValueError(f'need num_frames >= 1, a frame of at least 8x8 pixels and '
                         f'supersample >= 1, got {num_frames}, {(h, w)}, {supersample}')
    look, proportions, motion, noise = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(4))
    appearance = sample_appearance(look, (h * supersample, w * supersample))

    base = BodyShape()
    head = proportions.uniform(0.92, 1.08)
    body = replace(
        base,
        upper_arm=base.upper_arm * proportions.uniform(0.96, 1.04),
        forearm=base.forearm * proportions.uniform(0.96, 1.04),
        hand=base.hand * proportions.uniform(0.93, 1.07),
        head_radii=(base.head_radii[0] * head, base.head_radii[1] * head))
    scale = h / _FRAME_HEIGHT_UNITS * proportions.uniform(0.9, 1.06)
    origin = (w * (0.5 + proportions.uniform(-0.05, 0.05)),
              h * (0.44 + proportions.uniform(-0.03, 0.03)))

    duration = motion.uniform(0.72, 0.9)
    phase = clip_phase(num_frames, motion.uniform(0.02, 0.98 - duration), duration)
    space_scale = motion.uniform(0.94, 1.06)
    space_offset = motion.uniform(-0.04, 0.04, size=2)
    tau = np.arange(num_frames)[:, None] / max(num_frames - 1, 1)
    wrists, angles = {}, {}
    for side, trajectory in (('right', sign.right), ('left', sign.left)):
        pos, angle = trajectory.at(phase)
        # a small, slow tremor keeps even held hands alive (same clock for every sign)
        freq = motion.uniform(1.0, 3.0, size=2)
        offset = motion.uniform(0, 2 * np.pi, size=2)
        tremor = 0.008 * np.sin(2 * np.pi * freq * tau + offset)
        wrists[side] = _SPACE_ANCHOR + space_scale * (pos - _SPACE_ANCHOR) + space_offset + tremor
        angles[side] = angle
    shapes = dict(right=HAND_SHAPES[sign.right_shape], left=HAND_SHAPES[sign.left_shape])

    pose = pose_signer(body, wrists, angles, shapes, scale, origin, (h, w))
    paint = draw_paint_maps(pose, appearance.hair_style, (h, w), supersample)
    return RenderedClip(
        sign=sign.name,
        frames=compose_frames(paint, appearance, supersample, noise),
        paint=paint,
        keypoints=pose.keypoints,
        keypoint_scores=pose.keypoint_scores,
        person_bboxes=person_boxes(paint, supersample),
        part_maps=part_maps_from_label_map(paint_to_classes(paint), grid),
        phase=phase,
        appearance=appearance,
        supersample=supersample)
