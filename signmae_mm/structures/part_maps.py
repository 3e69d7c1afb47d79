"""Part maps: made from a Sapiens label map, and stored sparse (format 2) or read back dense.

A part map holds, for each part group of :data:`~signmae_mm.structures.PART_GROUPS` and each
cell of a ``Gh x Gw`` grid over the frame, the covered fraction of the cell x 255 (uint8).
Format 2 files store only the non-zero cells: ``part_maps_shape`` ``(4,)`` int64 (``T, P, Gh,
Gw``), ``part_maps_frame_offsets`` ``(T + 1,)`` int64 (frame ``t``'s cells are ``[offsets[t],
offsets[t + 1])``), ``part_maps_cells`` (uint16 or uint32 flat index into a frame's
``P x Gh x Gw`` cells) and ``part_maps_values`` (uint8).
"""
from typing import Dict, Mapping, Optional, Tuple

import cv2
import numpy as np

from .sign_annotation_format import (PART_GROUP_SAPIENS_CLASSES, PART_GROUPS, PART_MAP_SCALE,
                                     SAPIENS_CLASSES, SPARSE_PART_MAP_KEYS, fail)

__all__ = ['part_maps_from_label_map', 'sparse_part_maps', 'dense_part_maps']


def part_maps_from_label_map(label_map: np.ndarray,
                             grid_size: Tuple[int, int] = (32, 32)) -> np.ndarray:
    """Part maps from a per-pixel Sapiens class map (the argmax of its logits).

    Each cell of the ``grid_size`` grid over the frame gets the fraction of its area covered by
    each part group, by exact area averaging (``cv2.INTER_AREA``).

    Args:
        label_map (np.ndarray): Integer class ids of :data:`SAPIENS_CLASSES`, shape ``(H, W)`` or
            ``(T, H, W)``.
        grid_size (tuple[int, int]): ``(Gh, Gw)`` cells. Defaults to ``(32, 32)``.

    Returns:
        np.ndarray: uint8 part maps, ``(P, Gh, Gw)`` or ``(T, P, Gh, Gw)``, 255 = fully covered.
    """
    label_map = np.asarray(label_map)
    if label_map.ndim == 2:
        return part_maps_from_label_map(label_map[None], grid_size)[0]
    if label_map.ndim != 3 or not np.issubdtype(label_map.dtype, np.integer):
        raise ValueError('label_map must be an integer array of shape (H, W) or (T, H, W), got '
                         f'{label_map.dtype} {label_map.shape}')
    gh, gw = (int(v) for v in grid_size)
    # class id -> one-hot over part groups (classes outside every group map to nothing)
    lut = np.zeros((max(len(SAPIENS_CLASSES), int(label_map.max()) + 1), len(PART_GROUPS)),
                   dtype=np.float32)
    for p, name in enumerate(PART_GROUPS):
        lut[list(PART_GROUP_SAPIENS_CLASSES[name]), p] = 1.0
    out = np.empty((label_map.shape[0], len(PART_GROUPS), gh, gw), dtype=np.uint8)
    for t, frame in enumerate(label_map):
        onehot = lut[frame]  # (H, W, P)
        # OpenCV's area resize takes at most 4 channels unless the scale is a whole number
        pooled = np.concatenate([
            cv2.resize(onehot[..., c:c + 4], (gw, gh), interpolation=cv2.INTER_AREA).reshape(
                gh, gw, -1) for c in range(0, onehot.shape[-1], 4)], axis=-1)
        out[t] = np.rint(np.clip(pooled, 0, 1) * PART_MAP_SCALE).transpose(2, 0, 1)
    return out


def sparse_part_maps(part_maps: np.ndarray) -> Dict[str, np.ndarray]:
    """The members of :data:`SPARSE_PART_MAP_KEYS` for dense part maps.

    Args:
        part_maps (np.ndarray): uint8 ``(T, P, Gh, Gw)``.

    Returns:
        dict[str, np.ndarray]: ``part_maps_shape``, ``part_maps_frame_offsets``,
        ``part_maps_cells`` and ``part_maps_values``.
    """
    flat = part_maps.reshape(part_maps.shape[0], -1)
    frames, cells = np.nonzero(flat)  # row-major: frame by frame
    offsets = np.zeros(flat.shape[0] + 1, np.int64)
    np.cumsum(np.bincount(frames, minlength=flat.shape[0]), out=offsets[1:])
    return dict(part_maps_shape=np.asarray(part_maps.shape, np.int64),
                part_maps_frame_offsets=offsets,
                part_maps_cells=cells.astype(np.uint16 if flat.shape[1] <= 1 << 16 else np.uint32),
                part_maps_values=flat[frames, cells])


def dense_part_maps(sparse: Mapping[str, np.ndarray], source: str,
                    frames: Optional[np.ndarray] = None) -> np.ndarray:
    """Dense part maps from the sparse members, checked.

    Args:
        sparse (Mapping[str, np.ndarray]): The members of :data:`SPARSE_PART_MAP_KEYS`.
        source (str): What to name in error messages.
        frames (np.ndarray, optional): Only these frames (0-based indices into the ``T``
            frames, repeats allowed), in this order. None: all.

    Returns:
        np.ndarray: uint8 ``(T, P, Gh, Gw)``, or ``(len(frames), P, Gh, Gw)``.

    Raises:
        SignAnnotationError: The members are missing or inconsistent.
    """
    missing = [k for k in SPARSE_PART_MAP_KEYS if k not in sparse]
    if missing:
        fail(source, f'sparse part maps lack {missing}')
    shape = np.asarray(sparse['part_maps_shape']).reshape(-1)
    offsets = np.asarray(sparse['part_maps_frame_offsets']).reshape(-1)
    cells = np.asarray(sparse['part_maps_cells']).reshape(-1)
    values = np.asarray(sparse['part_maps_values']).reshape(-1)
    if shape.size != 4 or not np.issubdtype(shape.dtype, np.integer) or (shape <= 0).any():
        fail(source, f'part_maps_shape must be 4 positive ints (T, P, Gh, Gw), got {shape}')
    t, size = int(shape[0]), int(np.prod(shape[1:]))
    if (offsets.shape != (t + 1, ) or offsets[0] != 0 or (np.diff(offsets) < 0).any()
            or offsets[-1] != cells.size or cells.size != values.size):
        fail(source, f'sparse part maps are inconsistent: {t + 1} non-decreasing frame offsets '
             f'from 0 to the {cells.size} cells (and {values.size} values) expected, got '
             f'{offsets.shape[0]} offsets ending at {offsets[-1] if offsets.size else None}')
    if not np.issubdtype(cells.dtype, np.unsignedinteger) or values.dtype != np.uint8:
        fail(source, f'sparse part maps need unsigned cell indices and uint8 values, got '
             f'{cells.dtype} / {values.dtype}')
    if cells.size and int(cells.max()) >= size:
        fail(source, f'sparse part maps index cell {int(cells.max())} of a frame of {size}')
    if frames is None:
        frames = np.arange(t)
    frames = np.asarray(frames, np.int64).reshape(-1)
    counts = np.diff(offsets)[frames]
    dense = np.zeros((frames.size, size), np.uint8)
    if counts.sum():
        # positions of each wanted frame's cells in the flat cell / value arrays
        starts = np.repeat(offsets[frames] - np.cumsum(counts) + counts, counts)
        at = starts + np.arange(int(counts.sum()))
        dense[np.repeat(np.arange(frames.size), counts), cells[at]] = values[at]
    return dense.reshape((frames.size, ) + tuple(int(v) for v in shape[1:]))
