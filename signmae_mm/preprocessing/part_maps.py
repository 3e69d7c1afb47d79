"""Part maps of hands, arms and face per frame, from Sapiens segmentation or from keypoints.

The interface is :class:`~.part_map_source.PartMapSource`; the sources are
:class:`~.keypoint_part_maps.KeypointPartMaps`, :class:`~.sapiens_part_maps.SapiensPartMaps`
and, for MediaPipe, :class:`~.silhouette_part_maps.SilhouetteKeypointPartMaps`. This module
chooses one (:func:`build_part_map_source`) and keeps every name that lived here importable.
"""
from typing import Optional

from .keypoint_part_maps import KeypointPartMaps
from .part_map_source import PART_MAP_SOURCES, GridSize, PartMapSource
from .sapiens_part_maps import (SAPIENS_INPUT_SIZE, SAPIENS_MEAN, SAPIENS_STD, SapiensPartMaps,
                                load_segmentation_model)

__all__ = [
    'PART_MAP_SOURCES', 'SAPIENS_INPUT_SIZE', 'SAPIENS_MEAN', 'SAPIENS_STD', 'PartMapSource',
    'KeypointPartMaps', 'SapiensPartMaps', 'build_part_map_source', 'load_segmentation_model'
]


def build_part_map_source(kind: str = 'auto',
                          sapiens: Optional[str] = None,
                          grid_size: GridSize = 32,
                          device: str = 'cpu',
                          **kwargs) -> PartMapSource:
    """The part-map source for a run.

    Args:
        kind (str): ``'sapiens'``, ``'keypoints'`` or ``'auto'`` (Sapiens when a model file
            is given, else keypoints). Defaults to ``'auto'``.
        sapiens (str, optional): Sapiens segmentation model file.
        grid_size (int | tuple[int, int]): ``(Gh, Gw)``. Defaults to 32.
        device (str): Torch device of the Sapiens model. Defaults to ``'cpu'``.
        **kwargs: Further arguments of the chosen class.

    Returns:
        PartMapSource: :class:`SapiensPartMaps` or :class:`KeypointPartMaps`.
    """
    if kind == 'auto':
        kind = 'sapiens' if sapiens else 'keypoints'
    if kind == 'sapiens':
        if not sapiens:
            raise ValueError('part maps from Sapiens need the segmentation model file '
                             '(--sapiens PATH)')
        return SapiensPartMaps(sapiens, grid_size=grid_size, device=device, **kwargs)
    if kind == 'keypoints':
        if sapiens:
            raise ValueError(f'a Sapiens model ({sapiens}) was given with part-map source '
                             '"keypoints"; drop one of them')
        return KeypointPartMaps(grid_size=grid_size, **kwargs)
    raise ValueError(f'part-map source must be "auto", "sapiens" or "keypoints", got {kind!r}')
