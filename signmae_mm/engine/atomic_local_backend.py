"""``atomic_local``: mmengine's local file backend, with writes that are all-or-nothing.

mmengine's ``LocalBackend.put`` opens the final path and writes into it, so a run killed while
saving leaves a truncated checkpoint under the final name; if that name is the one
``last_checkpoint`` already points to (a checkpoint saved again under the same name, e.g.
``save_last`` or a restarted run), ``--resume`` then picks a corrupt file. Here every write goes to
a temporary file in the same folder, is flushed to disk (``fsync``) and only then renamed onto the
final path with ``os.replace``, which is atomic on POSIX file systems and on Windows: readers see
either the old file or the complete new one, never a partial one.
"""
import os
import os.path as osp
import tempfile
from pathlib import Path
from typing import Union

from mmengine.fileio import LocalBackend, register_backend

__all__ = ['ATOMIC_LOCAL_BACKEND', 'AtomicLocalBackend', 'atomic_write']

#: Name to select the backend with: ``backend_args=dict(backend='atomic_local')``.
ATOMIC_LOCAL_BACKEND = 'atomic_local'


def _fsync_dir(folder: str) -> None:
    """Persist a rename: on POSIX the directory entry lives in the folder's own inode."""
    if os.name != 'posix':
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(data: Union[bytes, str], filepath: Union[str, Path],
                 encoding: str = 'utf-8') -> None:
    """Write ``data`` to ``filepath`` so that the path never holds a partial file.

    The data goes to a hidden temporary file beside the target (same file system, so the final
    rename cannot turn into a copy), is fsynced, then ``os.replace``-d onto the target. If
    anything fails before the rename, the temporary file is removed and the target is untouched.
    A process killed outright (SIGKILL, power loss) may leave a ``.<name>.tmp-*`` file behind,
    which nothing in mmengine reads.

    Args:
        data (bytes | str): The content; ``str`` is encoded with ``encoding``.
        filepath (str | Path): The final path. Its folder is created if missing.
        encoding (str): Encoding of ``str`` data. Defaults to 'utf-8'.
    """
    filepath = str(filepath)
    folder = osp.dirname(osp.abspath(filepath))
    os.makedirs(folder, exist_ok=True)
    if isinstance(data, str):
        data = data.encode(encoding)
    fd, tmp_path = tempfile.mkstemp(prefix=f'.{osp.basename(filepath)}.tmp-', dir=folder)
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp_path, filepath)
    except BaseException:
        # also on KeyboardInterrupt / SystemExit: never leave a temp file we could remove
        if osp.exists(tmp_path):
            os.unlink(tmp_path)
        raise
    _fsync_dir(folder)


@register_backend(ATOMIC_LOCAL_BACKEND)
class AtomicLocalBackend(LocalBackend):
    """mmengine's :class:`~mmengine.fileio.LocalBackend` whose ``put`` / ``put_text`` are atomic.

    Reads, listing and removal are mmengine's. Select it where mmengine takes ``backend_args``,
    e.g. ``CheckpointHook(backend_args=dict(backend='atomic_local'))`` (which
    :class:`~signmae_mm.engine.AtomicCheckpointHook` does by default).
    """

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        """Write bytes to ``filepath`` atomically (see :func:`atomic_write`)."""
        atomic_write(obj, filepath)

    def put_text(self, obj: str, filepath: Union[str, Path], encoding: str = 'utf-8') -> None:
        """Write text to ``filepath`` atomically (see :func:`atomic_write`)."""
        atomic_write(obj, filepath, encoding=encoding)
