"""A converted dataset (class names, annotation-list entries per split) and what is done with
it whatever the source: the video check, the class counts and the written lists."""
import csv
import io
import os
import os.path as osp
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

import numpy as np

from signmae_mm.utils import atomic_write

__all__ = [
    'DatasetFormatError', 'ConvertedDataset', 'check_videos', 'class_counts',
    'format_class_counts', 'write_converted'
]


class DatasetFormatError(ValueError):
    """A dataset annotation file does not have the expected layout (file and place named)."""


@dataclass
class ConvertedDataset:
    """One converted dataset (or WLASL subset).

    Attributes:
        name (str): Output name, e.g. ``'wlasl100'``, ``'slovo'``, ``'nmfs_csl'``.
        classes (list[str]): Class names, index = label.
        splits (dict[str, list[dict]]): Annotation-list entries per split.
        metainfo (dict): Extra ``metainfo`` for the lists (``dataset``, ...).
        missing (list[str]): Videos of the annotations not found under the video root.
        notes (list[str]): Facts worth printing (duplicates, partial frame ranges, ...).
        unreadable (list[str]): Videos found but not decodable (no frames, or the decoder
            cannot open them); left out of the lists. Only :func:`convert_folder` opens videos.
    """
    name: str
    classes: List[str]
    splits: Dict[str, List[Dict[str, Any]]]
    metainfo: Dict[str, Any] = field(default_factory=dict)
    missing: List[str] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)
    unreadable: List[str] = field(default_factory=list)


def check_videos(ds: ConvertedDataset, video_root: Optional[str],
                 keep_missing: bool = False) -> List[str]:
    """Find the entries whose video file is missing; drop them unless ``keep_missing``.

    Args:
        ds (ConvertedDataset): Updated in place (``missing`` and, unless kept, ``splits``).
        video_root (str, optional): Folder the ``filename`` entries are relative to; None
            skips the check.
        keep_missing (bool): Keep entries of missing videos in the lists. Defaults to False.

    Returns:
        list[str]: The missing videos (relative paths, sorted, unique).
    """
    if video_root is None:
        return []
    missing = set()
    for split, entries in ds.splits.items():
        kept = []
        for e in entries:
            if osp.isfile(osp.join(video_root, e['filename'])):
                kept.append(e)
            else:
                missing.add(e['filename'])
                if keep_missing:
                    kept.append(e)
        ds.splits[split] = kept
    ds.missing = sorted(missing)
    return ds.missing


def class_counts(ds: ConvertedDataset) -> Dict[str, np.ndarray]:
    """Samples per class and split: ``{split: (num_classes, ) int array}``."""
    out = {}
    for split, entries in ds.splits.items():
        counts = np.zeros(len(ds.classes), np.int64)
        for e in entries:
            counts[e['label']] += 1
        out[split] = counts
    return out


def format_class_counts(ds: ConvertedDataset, show: int = 5) -> str:
    """A short text report of the class counts per split (printed by the tool)."""
    lines = [f'{ds.name}: {len(ds.classes)} classes']
    for split, counts in class_counts(ds).items():
        present = counts > 0
        if not present.any():
            lines.append(f'  {split}: 0 samples')
            continue
        lines.append(
            f'  {split}: {int(counts.sum())} samples, {int(present.sum())}/{len(counts)} '
            f'classes present, per class min/median/max {int(counts[present].min())}/'
            f'{float(np.median(counts[present])):g}/{int(counts.max())}')
        absent = np.flatnonzero(~present)
        if len(absent):
            names = ', '.join(ds.classes[k] for k in absent[:show])
            lines.append(f'    no samples: {len(absent)} classes ({names}'
                         f'{", ..." if len(absent) > show else ""})')
    return '\n'.join(lines)


def write_converted(ds: ConvertedDataset, out_dir: str) -> Dict[str, str]:
    """Write ``<name>_<split>.json`` lists, ``<name>_classes.txt`` (one class per line, line
    index = label), ``<name>_class_counts.csv`` and, if any, ``<name>_missing_videos.txt`` and
    ``<name>_unreadable_videos.txt`` under ``out_dir``.

    Args:
        ds (ConvertedDataset): The converted dataset.
        out_dir (str): Output folder.

    Returns:
        dict[str, str]: Written files by kind (``train``, ``val``, ``test``, ``classes``,
        ``class_counts``, ``missing``, ``unreadable``).
    """
    from signmae_mm.structures import dump_annotation_list
    os.makedirs(out_dir, exist_ok=True)
    paths = {}
    for split, entries in ds.splits.items():
        meta = dict(ds.metainfo, dataset_name=ds.name, split=split, classes=list(ds.classes),
                    num_classes=len(ds.classes))
        paths[split] = dump_annotation_list(osp.join(out_dir, f'{ds.name}_{split}.json'),
                                            entries, meta)
    paths['classes'] = osp.join(out_dir, f'{ds.name}_classes.txt')
    atomic_write(''.join(f'{name}\n' for name in ds.classes), paths['classes'])
    counts = class_counts(ds)
    paths['class_counts'] = osp.join(out_dir, f'{ds.name}_class_counts.csv')
    table = io.StringIO(newline='')  # the csv module writes its own \r\n line ends
    writer = csv.writer(table)
    writer.writerow(['label', 'class'] + list(counts))
    for k, name in enumerate(ds.classes):
        writer.writerow([k, name] + [int(c[k]) for c in counts.values()])
    atomic_write(table.getvalue(), paths['class_counts'])
    if ds.missing:
        paths['missing'] = osp.join(out_dir, f'{ds.name}_missing_videos.txt')
        atomic_write('\n'.join(ds.missing) + '\n', paths['missing'])
    if ds.unreadable:
        paths['unreadable'] = osp.join(out_dir, f'{ds.name}_unreadable_videos.txt')
        atomic_write('\n'.join(ds.unreadable) + '\n', paths['unreadable'])
    return paths
