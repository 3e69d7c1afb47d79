"""The safe file format of feature files and galleries: a NumPy ``.npz`` without pickles.

Numbers are arrays, strings unicode arrays, a dict (the encoder identity) one JSON string; a
``format`` entry names what the file holds and ``format_version`` its layout. Files are written
all or nothing (:func:`~signmae_mm.utils.atomic_open`) and read with ``allow_pickle=False``, so
a file from elsewhere can hold numbers and text, never code.
"""
import json
import os.path as osp
import zipfile
from typing import Any, Dict, Mapping, Sequence

import numpy as np

from .file_checks import describe_file

__all__ = ['FormatError', 'json_array', 'load_json', 'load_npz', 'save_npz', 'text_array']


class FormatError(ValueError):
    """A file that is not what it was given as (a gallery, a feature file), or of a newer or
    broken layout; the message names the file."""


def text_array(values: Sequence[str]) -> np.ndarray:
    """Strings as a unicode array (an empty one too), which ``allow_pickle=False`` reads."""
    return np.asarray([str(v) for v in values], dtype=np.str_).reshape(len(values))


def json_array(value: Any) -> np.ndarray:
    """A JSON-able value as a 0-d unicode array."""
    return np.asarray(json.dumps(value, sort_keys=True), dtype=np.str_)


def save_npz(path: str, kind: str, version: int, arrays: Mapping[str, np.ndarray]) -> str:
    """Write ``arrays`` to ``path`` (atomically), tagged with ``kind`` and ``version``.

    Args:
        path (str): The ``.npz`` file (no extension is added).
        kind (str): What the file holds, e.g. ``'signmae_mm.sign_gallery'``.
        version (int): The layout's version.
        arrays (Mapping[str, np.ndarray]): The content; no object arrays.

    Returns:
        str: ``path``.
    """
    from signmae_mm.utils import atomic_open
    content = dict(arrays, format=np.asarray(kind, dtype=np.str_),
                   format_version=np.asarray(version, dtype=np.int64))
    for name, value in content.items():
        if np.asarray(value).dtype == object:
            raise TypeError(f'{name}: object arrays would need pickle; give numbers or strings')
    with atomic_open(path, 'wb') as f:
        np.savez(f, **content)
    return path


def load_npz(path: str, kind: str, what: str, version: int,
             keys: Sequence[str]) -> Dict[str, np.ndarray]:
    """Read a file written by :func:`save_npz` as ``kind``, checking what it is.

    Args:
        path (str): The file.
        kind (str): The expected ``format`` entry.
        what (str): How to call such a file in messages (``'a sign gallery'``).
        version (int): The newest layout this reader knows.
        keys (Sequence[str]): Entries it must hold.

    Returns:
        dict[str, np.ndarray]: Every entry, read (no lazy file handle is left open).

    Raises:
        FileNotFoundError: No such file.
        FormatError: It is not such a file (with what it is instead), a newer layout, or
            lacks an entry.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path} not found')
    found, content, broken = None, {}, None
    try:
        with np.load(path, allow_pickle=False) as data:
            if isinstance(data, np.lib.npyio.NpzFile) and 'format' in data.files:
                found = str(data['format'])
            # only a file of this kind is read whole (a checkpoint could be gigabytes)
            if found == kind:
                content = {k: data[k] for k in data.files}
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as e:
        broken = e  # pickled entries, a truncated archive, not an archive at all
    if found != kind:
        said = f'a .npz of another kind ({found})' if found else describe_file(path)
        raise FormatError(f'{path} is not {what}: it is {said}')
    if broken is not None:
        raise FormatError(f'{path} is {what} that cannot be read: {broken}')
    if int(content.get('format_version', -1)) > version:
        raise FormatError(f'{path} is {what} of layout {int(content["format_version"])}, newer '
                          f'than this signmae_mm reads ({version}): update signmae_mm')
    missing = [k for k in keys if k not in content]
    if missing:
        raise FormatError(f'{path} is {what} without {", ".join(missing)}: a broken file')
    return content


def load_json(array: np.ndarray) -> Any:
    """The value of a :func:`json_array`."""
    return json.loads(str(array))
