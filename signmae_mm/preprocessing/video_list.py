"""The videos to preprocess: an annotation list (JSON), an mmaction2 list file or a folder."""
import os
import os.path as osp
from dataclasses import dataclass, field
from typing import Any, Dict, List, Tuple

__all__ = ['VIDEO_EXTENSIONS', 'VideoItem', 'default_sign_ann', 'load_video_list']

VIDEO_EXTENSIONS = ('.mp4', '.avi', '.mkv', '.webm', '.mov', '.m4v', '.mpg', '.mpeg', '.flv')


def default_sign_ann(filename: str) -> str:
    """The ``.npz`` path (relative to the output folder) of a video: same path, ``.npz``."""
    return osp.splitext(filename.lstrip('/\\'))[0] + '.npz'


@dataclass
class VideoItem:
    """One entry of the input list.

    Attributes:
        filename (str): The video, relative to the video root (or absolute).
        label (int | list[int]): Class index; -1 = unlabelled.
        sign_ann (str): Where its ``.npz`` goes, relative to the output folder.
        extra (dict): Other keys of the entry, copied to the output list.
    """
    filename: str
    label: Any = -1
    sign_ann: str = ''
    extra: Dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.sign_ann:
            self.sign_ann = default_sign_ann(self.filename)


def _from_json(path: str) -> Tuple[Dict[str, Any], List[VideoItem]]:
    from signmae_mm.datasets.sign_annotation import load_annotation_list
    metainfo, data_list = load_annotation_list(path)
    items = []
    for i, raw in enumerate(data_list):
        if not isinstance(raw, dict) or not isinstance(raw.get('filename'), str) \
                or not raw['filename']:
            raise ValueError(f'{path}, entry {i}: an entry must be an object with "filename"')
        extra = {k: v for k, v in raw.items()
                 if k not in ('filename', 'label', 'sign_ann', 'total_frames', 'img_shape')}
        items.append(VideoItem(raw['filename'], raw.get('label', -1), raw.get('sign_ann') or '',
                               extra))
    return metainfo, items


def _from_text(path: str) -> List[VideoItem]:
    items = []
    with open(path, encoding='utf-8') as f:
        for lineno, line in enumerate(f, 1):
            parts = line.split()
            if not parts or parts[0].startswith('#'):
                continue
            try:
                labels = [int(v) for v in parts[1:]]
            except ValueError:
                raise ValueError(f'{path}, line {lineno}: expected "<video> [label ...]" with '
                                 f'integer labels, got {line.strip()!r}') from None
            label = -1 if not labels else labels[0] if len(labels) == 1 else labels
            items.append(VideoItem(parts[0], label))
    return items


def _from_folder(folder: str) -> List[VideoItem]:
    items = []
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(files):
            if name.lower().endswith(VIDEO_EXTENSIONS):
                items.append(VideoItem(osp.relpath(osp.join(root, name), folder)))
    return items


def load_video_list(path: str) -> Tuple[Dict[str, Any], List[VideoItem]]:
    """Read the videos to preprocess.

    Args:
        path (str): One of

            * an annotation list (``.json``, the format of :func:`dump_annotation_list`,
              e.g. written by ``tools/convert_datasets.py``; ``sign_ann`` is optional);
            * an mmaction2 video list (``<video> [label ...]`` lines, as ``VideoDataset``
              reads; ``#`` starts a comment line);
            * a folder: every video file under it, unlabelled.

    Returns:
        tuple[dict, list[VideoItem]]: The list's ``metainfo`` (empty for text lists and
        folders) and its videos, in order.

    Raises:
        FileNotFoundError / ValueError: Naming the file (and the line or entry).
    """
    if osp.isdir(path):
        items = _from_folder(path)
        if not items:
            raise ValueError(f'{path}: no video files ({", ".join(VIDEO_EXTENSIONS)}) found')
        return {}, items
    if not osp.isfile(path):
        raise FileNotFoundError(f'video list {path} does not exist')
    if path.lower().endswith('.json'):
        return _from_json(path)
    return {}, _from_text(path)
