"""All-or-nothing file writes: the one helper every writer of the package uses.

A file is written to a hidden temporary file in the same folder (same file system, so the final
rename cannot turn into a copy), flushed to disk (``fsync``), then renamed onto the final path
with ``os.replace``, which is atomic on POSIX file systems and on Windows: a reader sees either
the old file or the complete new one. If anything fails before the rename, the temporary file is
removed and the target is untouched. The finished file gets the permissions ``open`` would give
it (those of the file it replaces, or ``0o666`` less the umask), not ``mkstemp``'s private
``0o600``. A process killed outright (SIGKILL, power loss) may leave a
``.tmp_*`` file behind; readers of this package skip such names (:func:`is_temporary`).
"""
import os
import os.path as osp
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator, Union

__all__ = ['TMP_PREFIX', 'atomic_open', 'atomic_path', 'atomic_write', 'is_temporary']

#: Prefix of the temporary files; never a name a finished file has.
TMP_PREFIX = '.tmp_'


def is_temporary(path: Union[str, Path]) -> bool:
    """Whether ``path`` names a temporary file left by an interrupted atomic write."""
    return osp.basename(str(path)).startswith(TMP_PREFIX)


def _fsync_dir(folder: str) -> None:
    """Persist a rename: on POSIX the directory entry lives in the folder's own inode."""
    if os.name != 'posix':
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _umask() -> int:
    """The process umask, read without changing it where the OS allows (threads may race on a
    set-and-restore)."""
    try:
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith('Umask:'):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _final_mode(path: str) -> int:
    """Permission bits ``open(path, 'w')`` would leave: the replaced file's, else 0o666 - umask."""
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        return 0o666 & ~_umask()


@contextmanager
def atomic_open(path: Union[str, Path], mode: str = 'wb',
                encoding: str = 'utf-8') -> Iterator[IO]:
    """Open ``path`` for writing so that it never holds a partial file.

    Use it as ``open``: ``with atomic_open(path, 'w') as f: json.dump(obj, f)``; the file appears
    under ``path`` only when the block ends without an exception. The folder is created if missing.

    Args:
        path (str | Path): The final path.
        mode (str): ``'wb'`` or ``'w'``. Defaults to ``'wb'``.
        encoding (str): Encoding in text mode. Defaults to ``'utf-8'``.

    Yields:
        IO: The open temporary file.
    """
    if mode not in ('w', 'wb'):
        raise ValueError(f'atomic_open writes whole files: mode must be "w" or "wb", got {mode!r}')
    kwargs = {} if 'b' in mode else dict(encoding=encoding)
    with atomic_path(path) as tmp, open(tmp, mode, **kwargs) as f:
        yield f


@contextmanager
def atomic_path(path: Union[str, Path]) -> Iterator[str]:
    """A temporary path to write ``path`` through, for writers that take a file name (OpenCV's
    ``VideoWriter``): the file moves onto ``path`` (fsynced, with ``open``'s permissions) only
    when the block ends without an exception; otherwise it is removed.

    The temporary name keeps ``path``'s extension, from which such writers choose the format.

    Args:
        path (str | Path): The final path. Its folder is created if missing.

    Yields:
        str: The temporary path to write.
    """
    path = str(path)
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp_path = tempfile.mkstemp(prefix=f'{TMP_PREFIX}{osp.basename(path)}.',
                                    suffix=osp.splitext(path)[1], dir=folder)
    os.close(fd)
    try:
        yield tmp_path
        if not osp.isfile(tmp_path):
            raise FileNotFoundError(f'nothing was written to {tmp_path} (for {path})')
        fd = os.open(tmp_path, os.O_RDWR)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.chmod(tmp_path, _final_mode(path))
        os.replace(tmp_path, path)
    except BaseException:
        if osp.exists(tmp_path):
            os.unlink(tmp_path)
        raise
    _fsync_dir(folder)


def atomic_write(data: Union[bytes, str], path: Union[str, Path],
                 encoding: str = 'utf-8') -> None:
    """Write ``data`` to ``path`` all or nothing (see :func:`atomic_open`).

    Args:
        data (bytes | str): The content; ``str`` is encoded with ``encoding``.
        path (str | Path): The final path. Its folder is created if missing.
        encoding (str): Encoding of ``str`` data. Defaults to ``'utf-8'``.
    """
    if isinstance(data, str):
        data = data.encode(encoding)
    with atomic_open(path, 'wb') as f:
        f.write(data)
