"""How a demo signer looks: skin, hair, clothing and the background behind them.

Every colour other than skin (clothing, hair, background patterns) is drawn at least
:data:`MIN_SKIN_DISTANCE` (RGB, Euclidean) away from the skin and finger colours, at every
brightness the renderer shades it to, so "hand colour" in a frame means hand (or face) and the
agreement of part maps with pixels can be checked from the pixels alone.
"""
from dataclasses import dataclass
from typing import List, Sequence, Tuple

import cv2
import numpy as np

__all__ = [
    'MIN_SKIN_DISTANCE', 'MIN_MIX_DISTANCE', 'SKIN_TONES', 'HAIR_STYLES', 'FINGER_SHADE',
    'SLEEVE_SHADE', 'Appearance', 'sample_appearance', 'make_background'
]

#: Smallest RGB distance of any non-skin colour from the skin and finger colours.
MIN_SKIN_DISTANCE = 90.0
#: Smallest RGB distance from skin of any blend of two non-skin colours that meet at an edge.
MIN_MIX_DISTANCE = 60.0
#: Skin tones (BGR), light to dark.
SKIN_TONES: Tuple[Tuple[int, int, int], ...] = ((196, 224, 255), (160, 194, 241), (134, 172, 224),
                                                (96, 134, 198), (70, 104, 160), (48, 70, 112))
#: Fingers are drawn a little darker than the palm, so bent fingers show over it.
FINGER_SHADE = 0.86
#: Sleeves are a little darker than the front of the shirt, so arms show over the torso.
SLEEVE_SHADE = 0.8
#: Hair colours (BGR): black, dark brown, brown, auburn, blond, grey.
_HAIR = ((22, 20, 24), (25, 40, 60), (40, 70, 105), (30, 60, 150), (110, 175, 215),
         (165, 165, 170))
HAIR_STYLES = ('short', 'long', 'bun', 'none')
# Brightness factors at which background and clothing colours appear (shading, stripes).
_SHADES = np.linspace(0.7, 1.2, 11)
_MIX = np.linspace(0.0, 1.0, 11)


@dataclass
class Appearance:
    """Colours (BGR uint8 triples) and the background of one video.

    Attributes:
        skin (tuple): Face, neck and palm colour.
        finger (tuple): Finger colour.
        hair (tuple): Hair and eyebrow colour.
        hair_style (str): One of :data:`HAIR_STYLES`.
        clothing (tuple): Torso colour.
        sleeve (tuple): Arm colour.
        lips (tuple): Lip colour.
        background (np.ndarray): ``(H, W, 3)`` uint8 BGR background at render resolution.
        background_kind (str): Which pattern.
        noise (int): Amplitude of the per-frame sensor noise: uniform in ``[-noise, noise]``
            grey levels.
    """
    skin: Tuple[int, int, int]
    finger: Tuple[int, int, int]
    hair: Tuple[int, int, int]
    hair_style: str
    clothing: Tuple[int, int, int]
    sleeve: Tuple[int, int, int]
    lips: Tuple[int, int, int]
    background: np.ndarray
    background_kind: str
    noise: int

    @property
    def hand_colours(self) -> Tuple[Tuple[int, int, int], Tuple[int, int, int]]:
        """The colours a hand is drawn in: ``(skin, finger)``."""
        return self.skin, self.finger


def _shade(colour: Sequence[float], k: float) -> Tuple[int, int, int]:
    return tuple(int(v) for v in np.clip(np.rint(np.asarray(colour, np.float64) * k), 0, 255))


def _far_from(colour: np.ndarray, avoid: np.ndarray, mix_with: Sequence[np.ndarray] = ()) -> bool:
    """``colour`` at every shade, and its blends with ``mix_with``, stay far from ``avoid``.

    Blends matter because edges between two drawn colours are anti-aliased into mixtures.
    """
    shaded = np.clip(colour[None] * _SHADES[:, None], 0, 255)  # (S, 3)
    if np.linalg.norm(shaded[:, None] - avoid[None], axis=-1).min() < MIN_SKIN_DISTANCE:
        return False
    for other in mix_with:
        mix = colour[None] + _MIX[:, None] * (np.asarray(other, np.float64) - colour)[None]
        if np.linalg.norm(mix[:, None] - avoid[None], axis=-1).min() < MIN_MIX_DISTANCE:
            return False
    return True


def _far_colour(rng: np.random.Generator, avoid: np.ndarray,
                mix_with: Sequence[np.ndarray] = ()) -> np.ndarray:
    """A random colour far from ``avoid`` at every shade and in its blends (rejection)."""
    for _ in range(2000):
        hsv = np.array([[[rng.integers(0, 180), rng.integers(0, 256), rng.integers(50, 215)]]],
                       dtype=np.uint8)
        colour = cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)[0, 0].astype(np.float64)
        if _far_from(colour, avoid, mix_with):
            return colour
    raise RuntimeError('no colour far enough from the skin tones found')  # pragma: no cover


def make_background(rng: np.random.Generator, shape: Tuple[int, int],
                    avoid: np.ndarray) -> Tuple[np.ndarray, str, List[np.ndarray]]:
    """A random background: flat, stripes, tiles, blobs or a room (wall, desk, picture).

    Args:
        rng (np.random.Generator): Random source.
        shape (tuple[int, int]): ``(H, W)`` in pixels.
        avoid (np.ndarray): ``(N, 3)`` colours (skin) that the background must stay away from.

    Returns:
        tuple[np.ndarray, str, list[np.ndarray]]: ``(H, W, 3)`` uint8 BGR image, the pattern's
        name and its base colours (for blend checks of what is drawn over it).
    """
    h, w = shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    yy, xx = yy / h, xx / w
    c1 = _far_colour(rng, avoid)
    c2 = _far_colour(rng, avoid, mix_with=[c1 * k for k in (0.75, 1.0, 1.2)])
    kind = ('flat', 'stripes', 'tiles', 'blobs', 'room')[int(rng.integers(0, 5))]
    # Patterns choose between colours per pixel and modulate brightness within _SHADES only:
    # blending two colours could pass through skin tones.
    if kind == 'flat':
        pick = np.zeros((h, w), bool)
        light = 0.85 + 0.25 * (1.0 - yy) if rng.random() < 0.5 else 0.85 + 0.25 * xx
    elif kind == 'stripes':
        period = rng.uniform(0.08, 0.25)
        direction = rng.uniform(0, np.pi)
        coord = xx * np.cos(direction) + yy * np.sin(direction)
        pick = (coord / period) % 1.0 < 0.5
        light = np.ones((h, w), np.float32)
    elif kind == 'tiles':
        cell = rng.uniform(0.08, 0.2)
        pick = ((xx // cell) + (yy // cell)) % 2 == 1
        light = 0.9 + 0.2 * yy
    elif kind == 'blobs':
        pick = np.zeros((h, w), bool)
        coarse = rng.uniform(0.75, 1.15, size=(4, 4)).astype(np.float32)
        light = cv2.resize(coarse, (w, h), interpolation=cv2.INTER_CUBIC)
    else:  # room: wall above a desk, a picture on the wall
        horizon = rng.uniform(0.62, 0.85)
        pick = yy > horizon
        x0, y0 = rng.uniform(0.05, 0.7), rng.uniform(0.05, 0.35)
        picture = (xx > x0) & (xx < x0 + 0.22) & (yy > y0) & (yy < y0 + 0.18)
        light = 0.9 + 0.15 * (1.0 - yy)
        light = np.where(picture, 0.75, light)
    light = np.clip(light, _SHADES[0], _SHADES[-1]).astype(np.float32)
    colour = np.where(pick[..., None], c2, c1).astype(np.float32)
    image = np.clip(np.rint(colour * light[..., None]), 0, 255).astype(np.uint8)
    return image, kind, [c1, c2]


def sample_appearance(rng: np.random.Generator, shape: Tuple[int, int]) -> Appearance:
    """Draw the look of one video.

    Args:
        rng (np.random.Generator): Random source (the appearance's own stream).
        shape (tuple[int, int]): ``(H, W)`` of the render (background size).

    Returns:
        Appearance: Colours and background.
    """
    tone = np.asarray(SKIN_TONES[int(rng.integers(0, len(SKIN_TONES)))], np.float64)
    skin = _shade(tone + rng.integers(-8, 9, size=3), 1.0)
    finger = _shade(skin, FINGER_SHADE)
    avoid = np.array([skin, finger], dtype=np.float64)
    background, kind, base = make_background(rng, shape, avoid)
    edges = [c * k for c in base for k in (0.75, 1.0, 1.2)]
    clothing = _far_colour(rng, avoid, mix_with=edges)
    edges += [clothing, clothing * SLEEVE_SHADE]
    # Hair (and eyebrows) away from skin: blond hair on light skin would read as a hand.
    hair_ok = [c for c in _HAIR if _far_from(np.asarray(c, np.float64), avoid, edges)]
    hair = hair_ok[int(rng.integers(0, len(hair_ok)))] if hair_ok else None
    style = HAIR_STYLES[int(rng.integers(0, len(HAIR_STYLES)))] if hair else 'none'
    lips = _shade(0.6 * np.asarray(skin) + 0.4 * np.array([70, 60, 190]), 0.9)
    return Appearance(
        skin=skin,
        finger=finger,
        hair=tuple(int(v) for v in (hair or _HAIR[0])),
        hair_style=style,
        clothing=_shade(clothing, 1.0),
        sleeve=_shade(clothing, SLEEVE_SHADE),
        lips=lips,
        background=background,
        background_kind=kind,
        noise=int(rng.integers(0, 5)))
