"""``atomic_local``: mmengine's local file backend, with writes that are all-or-nothing.

mmengine's ``LocalBackend.put`` opens the final path and writes into it, so a run killed while
saving leaves a truncated checkpoint under the final name; if that name is the one
``last_checkpoint`` already points to (a checkpoint saved again under the same name, e.g.
``save_last`` or a restarted run), ``--resume`` then picks a corrupt file. Here every write goes
through :func:`signmae_mm.utils.atomic_write` (temporary file beside the target, fsync, atomic
rename): readers see either the old file or the complete new one, never a partial one.
"""
from pathlib import Path
from typing import Union

from mmengine.fileio import LocalBackend, register_backend

from ..utils import atomic_write

# ``atomic_write`` is re-exported: ``from signmae_mm.engine import atomic_write`` is kept for old
# code (it was defined here before the package had one helper for all writers).
__all__ = ['ATOMIC_LOCAL_BACKEND', 'AtomicLocalBackend', 'atomic_write']

#: Name to select the backend with: ``backend_args=dict(backend='atomic_local')``.
ATOMIC_LOCAL_BACKEND = 'atomic_local'


@register_backend(ATOMIC_LOCAL_BACKEND)
class AtomicLocalBackend(LocalBackend):
    """mmengine's :class:`~mmengine.fileio.LocalBackend` whose ``put`` / ``put_text`` are atomic.

    Reads, listing and removal are mmengine's. Select it where mmengine takes ``backend_args``,
    e.g. ``CheckpointHook(backend_args=dict(backend='atomic_local'))`` (which
    :class:`~signmae_mm.engine.AtomicCheckpointHook` does by default).
    """

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        """Write bytes to ``filepath`` atomically (see :func:`~signmae_mm.utils.atomic_write`)."""
        atomic_write(obj, filepath)

    def put_text(self, obj: str, filepath: Union[str, Path], encoding: str = 'utf-8') -> None:
        """Write text to ``filepath`` atomically (see :func:`~signmae_mm.utils.atomic_write`)."""
        atomic_write(obj, filepath, encoding=encoding)
