"""The demo vocabulary: each sign is a hand shape plus a hand trajectory.

Classes come in fine-grained pairs (classes ``2k`` and ``2k + 1``): a *shape* pair shares both
hands' trajectories and differs only in the dominant hand's shape; a *motion* pair shares the hand
shapes and the trajectories up to a late keyframe, and differs only after it (the last quarter or
so of the sign, a displacement of a fraction of a shoulder width or a wrist turn). Telling a pair
apart needs exactly the local hand detail that SignMAE's hand-arm masking is meant to teach.

Trajectories are keyframes of the wrist, in *body units*: origin at the base of the neck (the
midpoint between the shoulders), ``x`` to the image's right, ``y`` down, one unit = the shoulder
width. The signer faces the camera, so the dominant (signer's right) hand is on the image's left
(``x < 0``). Each keyframe also holds the finger direction in degrees clockwise from straight up.
"""
from dataclasses import dataclass
from typing import List, Sequence, Tuple

import numpy as np

from .hand import HAND_SHAPES, HandShape

__all__ = [
    'Trajectory', 'Sign', 'SignPair', 'REST_POSE', 'VOCABULARY', 'SIGN_PAIRS', 'get_vocabulary',
    'motion_split'
]


@dataclass(frozen=True)
class Trajectory:
    """Keyframes of one wrist: ``(phase, x, y, angle)`` rows, phase rising from 0 to 1.

    Between keyframes the motion eases in and out (smoothstep), so the hand rests briefly at each
    keyframe, as a signer's hand does at the places of a sign.

    Args:
        keys (tuple): Rows ``(phase, x, y, angle_deg)``; phases strictly increasing, the first 0.
    """
    keys: Tuple[Tuple[float, float, float, float], ...]

    def __post_init__(self) -> None:
        k = np.asarray(self.keys, dtype=np.float64)
        if k.ndim != 2 or k.shape[1] != 4 or len(k) < 1:
            raise ValueError(f'keyframes must be rows (phase, x, y, angle), got {k.shape}')
        if k[0, 0] != 0 or (np.diff(k[:, 0]) <= 0).any() or k[-1, 0] > 1:
            raise ValueError(f'keyframe phases must rise from 0 to at most 1, got {k[:, 0]}')

    def at(self, phase: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Wrist position and finger angle at the given phases.

        Args:
            phase (np.ndarray): ``(T,)`` phases in [0, 1].

        Returns:
            tuple[np.ndarray, np.ndarray]: positions ``(T, 2)`` (body units) and angles ``(T,)``.
        """
        k = np.asarray(self.keys, dtype=np.float64)
        phase = np.clip(np.asarray(phase, dtype=np.float64), 0.0, 1.0)
        if len(k) == 1:
            return np.repeat(k[:, 1:3], len(phase), 0), np.repeat(k[:, 3], len(phase))
        seg = np.clip(np.searchsorted(k[:, 0], phase, side='right') - 1, 0, len(k) - 2)
        s = np.clip((phase - k[seg, 0]) / (k[seg + 1, 0] - k[seg, 0]), 0.0, 1.0)
        s = s * s * (3.0 - 2.0 * s)  # smoothstep: zero velocity at each keyframe
        values = k[seg, 1:] + s[:, None] * (k[seg + 1, 1:] - k[seg, 1:])
        return values[:, :2], values[:, 2]

    def mirrored(self) -> 'Trajectory':
        """The same motion for the other hand (mirrored about the body's midline)."""
        return Trajectory(tuple((u, -x, y, -a) for u, x, y, a in self.keys))


@dataclass(frozen=True)
class Sign:
    """One class of the demo vocabulary.

    Args:
        name (str): Class name.
        right_shape (str): Hand shape of the dominant (right) hand, a key of ``HAND_SHAPES``.
        right (Trajectory): Dominant wrist trajectory.
        left_shape (str): Hand shape of the other hand.
        left (Trajectory): Its wrist trajectory.
    """
    name: str
    right_shape: str
    right: Trajectory
    left_shape: str
    left: Trajectory

    def shapes(self) -> Tuple[HandShape, HandShape]:
        """``(right, left)`` hand shapes."""
        return HAND_SHAPES[self.right_shape], HAND_SHAPES[self.left_shape]


@dataclass(frozen=True)
class SignPair:
    """Two classes that differ only in the hand shape (``kind='shape'``) or only in a late, small
    part of the motion (``kind='motion'``)."""
    kind: str
    first: str
    second: str


#: Rest pose of the right wrist: hands folded in front of the belly, fingers towards the midline.
REST_POSE = (-0.32, 1.0, 65.0)


def _traj(*keys: Sequence[float]) -> Trajectory:
    return Trajectory(tuple(tuple(float(v) for v in k) for k in keys))


def _rest(phase: float = 0.0) -> Tuple[float, float, float, float]:
    return (phase, ) + REST_POSE


_LEFT_REST = _traj(_rest()).mirrored()
# Where the non-dominant hand waits as a base for the dominant one (palm up, fingers to the
# midline), reached early in the sign.
_BASE = _traj(_rest(), (0.25, -0.24, 0.72, 88)).mirrored()


def _one_hand(name: str, shape: str, *keys: Sequence[float]) -> Sign:
    return Sign(name, shape, _traj(_rest(), *keys), 'relaxed', _LEFT_REST)


def _two_hands(name: str, shape: str, *keys: Sequence[float]) -> Sign:
    right = _traj(_rest(), *keys)
    return Sign(name, shape, right, shape, right.mirrored())


def _on_base(name: str, shape: str, *keys: Sequence[float]) -> Sign:
    return Sign(name, shape, _traj(_rest(), *keys), 'flat', _BASE)


# The movements of the vocabulary: a wrist trajectory made by one of the makers above (one hand,
# both hands mirrored, the dominant hand on a base), named by its stem.
_SHARED_MOVEMENTS = {
    # from the chin outwards and down
    'chin_out': (_one_hand, [(0.4, -0.1, 0.18, 8), (0.55, -0.1, 0.18, 8), (1.0, -0.42, 0.5, -35)]),
    # both hands up in front of the chest, then apart
    'apart': (_two_hands, [(0.4, -0.2, 0.4, 10), (0.55, -0.2, 0.4, 10), (1.0, -0.55, 0.5, -10)]),
    # the dominant hand taps the base hand twice
    'tap_base': (_on_base, [(0.35, -0.05, 0.45, 30), (0.5, -0.05, 0.55, 30),
                            (0.65, -0.05, 0.45, 30), (0.8, -0.05, 0.55, 30),
                            (1.0, -0.05, 0.45, 30)]),
    # hand at the forehead, wagging twice
    'forehead_wag': (_one_hand, [(0.4, -0.22, -0.15, 10), (0.55, -0.22, -0.15, 30),
                                 (0.7, -0.22, -0.15, -10), (0.85, -0.22, -0.15, 30),
                                 (1.0, -0.22, -0.15, 10)]),
    # down along the cheek to the chin
    'cheek_down': (_one_hand, [(0.4, -0.32, -0.08, 15), (0.55, -0.32, -0.08, 15),
                               (1.0, -0.15, 0.2, 15)]),
}
# Movements that share a beginning and end two ways: (maker, shared keys, (ending, ending)).
_SPLIT_MOVEMENTS = {
    # index finger to the temple, then a short flick outwards vs downwards
    ('temple_flick_out', 'temple_flick_down'):
    (_one_hand, [(0.45, -0.3, -0.26, 8), (0.7, -0.3, -0.26, 8)],
     ([(1.0, -0.5, -0.3, -25)], [(1.0, -0.32, -0.02, 12)])),
    # the hand rises to the chest, then ends at the chin vs at the shoulder
    ('rise_to_chin', 'rise_to_shoulder'):
    (_one_hand, [(0.4, -0.2, 0.55, 30), (0.7, -0.15, 0.3, 20)],
     ([(1.0, -0.08, 0.12, 5)], [(1.0, -0.32, 0.18, 25)])),
    # tap the base once and hold vs tap it a second time
    ('tap_once', 'tap_twice'):
    (_on_base, [(0.35, -0.05, 0.45, 30), (0.5, -0.05, 0.55, 30), (0.65, -0.05, 0.45, 30)],
     ([(1.0, -0.05, 0.42, 30)], [(0.82, -0.05, 0.55, 30), (1.0, -0.05, 0.45, 30)])),
    # both hands rise to the shoulders, then come together vs move apart
    ('rise_together', 'rise_apart'):
    (_two_hands, [(0.45, -0.45, 0.35, 0), (0.7, -0.45, 0.3, 0)],
     ([(1.0, -0.28, 0.3, 10)], [(1.0, -0.65, 0.35, -15)])),
    # the hand held in front of the shoulder, then the wrist turns in vs out
    ('twist_in', 'twist_out'):
    (_one_hand, [(0.4, -0.4, 0.45, 0), (0.7, -0.4, 0.45, 0)],
     ([(1.0, -0.4, 0.45, 40)], [(1.0, -0.4, 0.45, -40)])),
}
# The pairs in class order: ('shape', movement stem, (shape, shape)) or
# ('motion', (ending name, ending name), shape). The main job's vocabulary is the first five
# pairs (classes 0-9); the next five complete the movements, and the last ten recombine the same
# movements with other hand shapes (classes 20-39), so that signs the main job never saw (10-39)
# can be looked up in a gallery (``make_demo_data.py --num-classes 40``).
_PAIR_TABLE = (
    ('shape', 'chin_out', ('flat', 'open5')),  # flat hand vs spread hand
    ('motion', ('temple_flick_out', 'temple_flick_down'), 'point'),
    ('shape', 'apart', ('point', 'v')),  # one finger vs two
    ('motion', ('rise_to_chin', 'rise_to_shoulder'), 'flat'),
    ('shape', 'tap_base', ('fist', 'y')),
    ('motion', ('tap_once', 'tap_twice'), 'l'),
    ('shape', 'forehead_wag', ('claw', 'open5')),  # bent vs straight spread fingers
    ('motion', ('rise_together', 'rise_apart'), 'open5'),
    ('shape', 'cheek_down', ('three', 'w')),  # three fingers with the thumb vs without
    ('motion', ('twist_in', 'twist_out'), 'y'),
    ('shape', 'chin_out', ('claw', 'l')),
    ('motion', ('temple_flick_out', 'temple_flick_down'), 'v'),
    ('shape', 'apart', ('flat', 'three')),
    ('motion', ('rise_to_chin', 'rise_to_shoulder'), 'claw'),
    ('shape', 'tap_base', ('point', 'v')),
    ('motion', ('tap_once', 'tap_twice'), 'fist'),
    ('shape', 'forehead_wag', ('flat', 'w')),
    ('motion', ('rise_together', 'rise_apart'), 'flat'),
    ('shape', 'cheek_down', ('point', 'v')),
    ('motion', ('twist_in', 'twist_out'), 'l'),
)


def _build() -> Tuple[List[Sign], List[SignPair]]:
    signs: List[Sign] = []
    pairs: List[SignPair] = []
    for kind, movement, shapes in _PAIR_TABLE:
        if kind == 'shape':
            make, keys = _SHARED_MOVEMENTS[movement]
            a, b = (make(f'{movement}_{s}', s, *keys) for s in shapes)
        else:
            make, shared, endings = _SPLIT_MOVEMENTS[movement]
            a, b = (make(f'{n}_{shapes}', shapes, *shared, *end)
                    for n, end in zip(movement, endings))
        signs.extend((a, b))
        pairs.append(SignPair(kind, a.name, b.name))
    return signs, pairs


_SIGNS, _PAIRS = _build()
#: All signs, class index = position (pairs are classes 2k, 2k + 1).
VOCABULARY: Tuple[Sign, ...] = tuple(_SIGNS)
#: The fine-grained pairs, in class order.
SIGN_PAIRS: Tuple[SignPair, ...] = tuple(_PAIRS)


def get_vocabulary(num_classes: int) -> Tuple[Sign, ...]:
    """The first ``num_classes`` signs (an even number keeps every pair whole).

    Args:
        num_classes (int): How many classes, at most ``len(VOCABULARY)``.

    Returns:
        tuple[Sign, ...]: The signs, class index = position.
    """
    if not 1 <= num_classes <= len(VOCABULARY):
        raise ValueError(f'num_classes must be in [1, {len(VOCABULARY)}], got {num_classes}')
    return VOCABULARY[:num_classes]


def motion_split(a: Sign, b: Sign) -> float:
    """The phase up to which two signs move identically (1.0 if they always do).

    Args:
        a (Sign): One sign.
        b (Sign): The other.

    Returns:
        float: The phase of the last keyframe shared by both hands' trajectories before the
        first one that differs.
    """
    split = 1.0
    for ta, tb in ((a.right, b.right), (a.left, b.left)):
        if ta == tb:
            continue
        n = 0
        while n < min(len(ta.keys), len(tb.keys)) and ta.keys[n] == tb.keys[n]:
            n += 1
        split = min(split, ta.keys[n - 1][0] if n else 0.0)
    return split
