"""The part-map source interface: part maps of hands, arms and face for a batch of frames.

Every source paints a per-pixel map of Sapiens class ids
(:data:`~signmae_mm.structures.SAPIENS_CLASSES`) and hands it to
:func:`~signmae_mm.structures.part_maps_from_label_map`, so the class grouping
(:data:`PART_GROUP_SAPIENS_CLASSES`) and the grid pooling live in one place, the annotation
format's module.
"""
from abc import ABCMeta, abstractmethod
from typing import Optional, Tuple, Union

import numpy as np

from signmae_mm.structures import PART_GROUPS, part_maps_from_label_map

__all__ = ['PART_MAP_SOURCES', 'GridSize', 'PartMapSource']

#: Names recorded as ``part_map_source`` in the sign annotation.
PART_MAP_SOURCES = ('sapiens', 'keypoints')

GridSize = Union[int, Tuple[int, int]]


def _grid(grid_size: GridSize) -> Tuple[int, int]:
    gh, gw = (grid_size, grid_size) if np.isscalar(grid_size) else grid_size
    if int(gh) < 1 or int(gw) < 1:
        raise ValueError(f'grid size must be >= 1, got {grid_size!r}')
    return int(gh), int(gw)


class PartMapSource(metaclass=ABCMeta):
    """Part maps ``(n, P, Gh, Gw)`` uint8 for a batch of frames of one video.

    Args:
        grid_size (int | tuple[int, int]): ``(Gh, Gw)`` cells over the whole frame.
            Defaults to 32 (the format's recommended grid).
    """
    #: Recorded as the annotation's ``part_map_source``.
    name: str = ''
    #: Attributes of the pose source's output (:class:`~.pose_source.PoseFrames` subclasses)
    #: that :meth:`__call__` takes as keyword arguments when the source gives them.
    extra_inputs: Tuple[str, ...] = ()

    def __init__(self, grid_size: GridSize = 32) -> None:
        self.grid_size = _grid(grid_size)

    @property
    def needs_frames(self) -> bool:
        """Whether :meth:`__call__` looks at the pixels (else frames may be None)."""
        return True

    @abstractmethod
    def label_maps(self, frames: Optional[np.ndarray], img_shape: Tuple[int, int],
                   keypoints: np.ndarray, keypoint_scores: np.ndarray,
                   bboxes: np.ndarray) -> np.ndarray:
        """Per-pixel Sapiens class ids ``(n, h, w)``, uint8, covering the whole frame."""

    def __call__(self, frames: Optional[np.ndarray], img_shape: Tuple[int, int],
                 keypoints: np.ndarray, keypoint_scores: np.ndarray,
                 bboxes: np.ndarray) -> np.ndarray:
        """Part maps of ``n`` frames.

        Args:
            frames (np.ndarray | None): ``(n, H, W, 3)`` BGR uint8 frames (None is fine when
                :attr:`needs_frames` is False).
            img_shape (tuple[int, int]): ``(H, W)`` of the frames.
            keypoints (np.ndarray): ``(n, 133, 2)`` keypoints in frame pixels.
            keypoint_scores (np.ndarray): ``(n, 133)`` scores.
            bboxes (np.ndarray): ``(n, 4)`` signer boxes; zeros = no person in the frame.

        Returns:
            np.ndarray: ``(n, P, Gh, Gw)`` uint8, 255 = cell fully covered.
        """
        n = len(bboxes)
        if n == 0:
            return np.zeros((0, len(PART_GROUPS)) + self.grid_size, np.uint8)
        labels = self.label_maps(frames, tuple(img_shape), keypoints, keypoint_scores, bboxes)
        return part_maps_from_label_map(labels, self.grid_size)
