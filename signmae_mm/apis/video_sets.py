"""Labelled videos to embed: an annotation list (mmaction2's JSON or ``path label`` text) or a
folder holding one sub-folder of clips per sign, read into paths, names, labels and class names."""
import os
import os.path as osp
from typing import Any, Dict, List, NamedTuple, Optional, Sequence

__all__ = ['LabelledVideos', 'videos_from_list', 'videos_from_sign_folders']


class LabelledVideos(NamedTuple):
    """Videos with their labels, ready for :func:`~signmae_mm.apis.embed_videos`.

    Attributes:
        paths (list[str]): The files to read.
        names (list[str]): How each is named in results (the list's ``filename``, the path
            under the sign folder's root).
        labels (list[int]): Class index per video; -1 = unknown.
        classes (list[str]): Class names, index = label (empty when unknown).
        sample_infos (list[dict]): Extra pipeline fields per video (``sign_ann``,
            ``frame_range``), as the list's dataset would give them.
    """
    paths: List[str]
    names: List[str]
    labels: List[int]
    classes: List[str]
    sample_infos: List[Dict[str, Any]]


def videos_from_list(path: str,
                     video_root: Optional[str] = None,
                     sign_ann_root: Optional[str] = None,
                     classes: Optional[Sequence[str]] = None) -> LabelledVideos:
    """Read an annotation list: mmaction2 JSON (``data_list`` of ``{filename, label, ...}``, as
    ``tools/convert_datasets.py`` writes) or a ``<video> <label>`` text list.

    Args:
        path (str): The list.
        video_root (str, optional): Folder its file names are relative to (the config's
            ``data_prefix['video']``). Defaults to the list's folder.
        sign_ann_root (str, optional): Folder of its ``sign_ann`` files (``data_prefix
            ['sign_ann']``), for models that read them; None: not given to the pipeline.
        classes (Sequence[str], optional): Class names; default: the list's
            ``metainfo['classes']``, if any.

    Returns:
        LabelledVideos: In the list's order. Entries inside a longer video (``frame_start`` /
        ``frame_end`` with ``metainfo['use_frame_range']``) get their ``frame_range``.

    Raises:
        FileNotFoundError / ValueError: The list is missing or malformed (named), or a label
            is not a single class index.
    """
    # the preprocessing package is heavy: imported when a list is read, not with the APIs
    from signmae_mm.preprocessing.video_list import load_video_list
    if osp.isdir(path):
        raise ValueError(f'{path} is a folder, not an annotation list')
    metainfo, items = load_video_list(path)
    root = osp.dirname(osp.abspath(path)) if video_root is None else video_root
    use_range = bool(metainfo.get('use_frame_range', False))
    paths, names, labels, infos = [], [], [], []
    for item in items:
        if not isinstance(item.label, int):
            raise ValueError(f'{path}: {item.filename} has label {item.label!r}; a gallery '
                             'or feature file needs one class index per video')
        info: Dict[str, Any] = {}
        if sign_ann_root is not None:
            info['sign_ann'] = osp.join(sign_ann_root, item.sign_ann)
        if use_range and item.extra.get('frame_start') is not None:
            info['frame_range'] = (item.extra['frame_start'], item.extra.get('frame_end'))
        paths.append(osp.join(root, item.filename))
        names.append(item.filename)
        labels.append(item.label)
        infos.append(info)
    names_of = list(classes) if classes is not None else [
        str(c) for c in metainfo.get('classes') or []]
    return LabelledVideos(paths, names, labels, names_of, infos)


def videos_from_sign_folders(root: str) -> LabelledVideos:
    """Read a folder of signs: ``root/<sign>/<clip>.mp4``, one sub-folder per sign.

    The signs are the sub-folders' names in sorted order (label = index); the clips under each
    (its own sub-folders included) in sorted order. Files that are not videos by their
    extension are left out; a sign without clips is an error.

    Args:
        root (str): The folder.

    Returns:
        LabelledVideos: Names relative to ``root``; no extra pipeline fields.

    Raises:
        FileNotFoundError: ``root`` is not a folder.
        ValueError: It has no sub-folders, or a sub-folder holds no video.
    """
    from signmae_mm.preprocessing.video_list import VIDEO_EXTENSIONS
    if not osp.isdir(root):
        raise FileNotFoundError(f'sign folder {root} not found')
    signs = sorted(d for d in os.listdir(root)
                   if osp.isdir(osp.join(root, d)) and not d.startswith('.'))
    if not signs:
        raise ValueError(f'{root} holds no sub-folders: a gallery folder has one sub-folder '
                         'of clips per sign (ROOT/<sign>/<clip>.mp4)')
    paths, names, labels = [], [], []
    for label, sign in enumerate(signs):
        found = []
        for folder, dirs, files in os.walk(osp.join(root, sign)):
            dirs.sort()
            found += [osp.join(folder, f) for f in sorted(files)
                      if f.lower().endswith(VIDEO_EXTENSIONS) and not f.startswith('.')]
        if not found:
            raise ValueError(f'{osp.join(root, sign)} holds no video '
                             f'({", ".join(VIDEO_EXTENSIONS)})')
        paths += found
        names += [osp.relpath(p, root) for p in found]
        labels += [label] * len(found)
    return LabelledVideos(paths, names, labels, signs, [{} for _ in paths])
