"""The annotation list: one JSON file naming a dataset's videos, labels and sign annotations.

mmengine's ``{"metainfo": {...}, "data_list": [...]}`` layout; each entry has at least
``filename``, ``label`` and ``sign_ann`` (the video's ``.npz``), and preferably ``total_frames``
and ``img_shape``. The writer records the format's own metainfo keys (``format``,
``format_version``, ``keypoint_layout``, ``part_groups``); the reader checks ``part_groups``.
"""
import json
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from ..utils import atomic_open
from .sign_annotation_format import (FORMAT_VERSION, KEYPOINT_LAYOUT, PART_GROUPS,
                                     SignAnnotationError)

__all__ = ['load_annotation_list', 'dump_annotation_list']


def load_annotation_list(path: str) -> Tuple[Dict[str, Any], List[Dict[str, Any]]]:
    """Read an annotation list file (JSON, ``{"metainfo": {...}, "data_list": [...]}``).

    Args:
        path (str): The list file (any mmengine file backend).

    Returns:
        tuple[dict, list[dict]]: ``metainfo`` and the raw ``data_list`` entries.

    Raises:
        SignAnnotationError: The file is missing, not JSON, or not in the layout above.
    """
    from mmengine.fileio import load
    try:
        obj = load(path, file_format='json')
    except FileNotFoundError:
        raise SignAnnotationError(f'annotation list {path} does not exist')
    except json.JSONDecodeError as e:
        raise SignAnnotationError(f'annotation list {path} is not valid JSON: {e}') from e
    if not isinstance(obj, dict) or not isinstance(obj.get('data_list'), list):
        raise SignAnnotationError(f'annotation list {path} must be a JSON object with a '
                                  '"data_list" list (and a "metainfo" object)')
    metainfo = obj.get('metainfo', {})
    if not isinstance(metainfo, dict):
        raise SignAnnotationError(f'annotation list {path}: "metainfo" must be an object')
    groups = metainfo.get('part_groups')
    if groups is not None and tuple(groups) != PART_GROUPS:
        raise SignAnnotationError(f'annotation list {path}: part_groups {groups} differ from '
                                  f'the expected {list(PART_GROUPS)}')
    return metainfo, obj['data_list']


def dump_annotation_list(path: str,
                         data_list: Sequence[Mapping[str, Any]],
                         metainfo: Optional[Mapping[str, Any]] = None) -> str:
    """Write an annotation list file atomically; the format's own metainfo keys are filled in.

    Args:
        path (str): Output JSON file.
        data_list (Sequence[Mapping]): Entries with at least ``filename``, ``label``,
            ``sign_ann`` (and preferably ``total_frames``, ``img_shape``).
        metainfo (Mapping, optional): Extra metainfo (e.g. ``classes``).

    Returns:
        str: ``path``.
    """
    meta = dict(metainfo or {})
    meta.update(
        format='signmae_mm.sign_annotation',
        format_version=FORMAT_VERSION,
        keypoint_layout=KEYPOINT_LAYOUT,
        part_groups=list(PART_GROUPS))
    with atomic_open(path, 'w') as f:
        json.dump(dict(metainfo=meta, data_list=[dict(d) for d in data_list]), f, indent=1)
    return path
