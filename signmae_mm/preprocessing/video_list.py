"""The videos to preprocess: an annotation list (JSON), an mmaction2 list file or a folder."""
import os
import os.path as osp
from dataclasses import dataclass, field
from typing import Any, Dict, List, NamedTuple, Optional, Tuple

__all__ = [
    'VIDEO_EXTENSIONS', 'VideoItem', 'VideoListRun', 'default_sign_ann', 'load_video_list',
    'resolve_video_list'
]

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
    from signmae_mm.structures import load_annotation_list
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


class VideoListRun(NamedTuple):
    """A video list read for a preprocessing run, with its folders resolved.

    Attributes:
        metainfo (dict): The list's ``metainfo``.
        items (list[VideoItem]): Its videos, in order.
        video_root (str): The folder the videos' paths are relative to.
        out_list (str): The annotation list the run writes.
    """
    metainfo: Dict[str, Any]
    items: List[VideoItem]
    video_root: str
    out_list: str


def resolve_video_list(video_list: str,
                       out_dir: str,
                       video_root: Optional[str] = None,
                       out_list: Optional[str] = None) -> VideoListRun:
    """Read a video list (:func:`load_video_list`) and decide where its videos and output are.

    Args:
        video_list (str): Annotation list, mmaction2 list file or folder of videos.
        out_dir (str): The run's output folder.
        video_root (str, optional): Folder of the videos. Defaults to the list's folder, or
            the folder itself.
        out_list (str, optional): Annotation list to write. Defaults to
            ``out_dir/<list name>.json``.

    Returns:
        VideoListRun: The list and the two paths.

    Raises:
        FileNotFoundError / ValueError: The list is unreadable, or the output list would
            overwrite it.
    """
    metainfo, items = load_video_list(video_list)
    if video_root is None:
        video_root = video_list if osp.isdir(video_list) else \
            osp.dirname(osp.abspath(video_list))
    out_list = out_list or osp.join(
        out_dir, osp.splitext(osp.basename(osp.normpath(video_list)))[0] + '.json')
    if osp.abspath(out_list) == osp.abspath(video_list):
        raise ValueError(f'the output list {out_list} would overwrite the input list; give '
                         '--out-list or another --out-dir')
    return VideoListRun(metainfo, items, video_root, out_list)
