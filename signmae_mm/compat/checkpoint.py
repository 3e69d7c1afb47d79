"""mmengine checkpoints under torch's ``weights_only=True`` default (torch >= 2.6).

Two defects meet here. torch >= 2.6 unpickles checkpoints with ``weights_only=True``, which
refuses any global that is not allow-listed; and mmengine 0.10.7 writes, besides tensors, its
``MessageHub`` state: ``HistoryBuffer`` objects holding numpy arrays, whose ``__getstate__``
also pickles the class-level statistics functions (``getattr(HistoryBuffer, 'min')``). Resume
then fails with ``Unsupported global: GLOBAL mmengine.logging.history_buffer.HistoryBuffer``.

Allowing ``builtins.getattr`` would let a crafted file reach any attribute of any allowed
class, so we do not. Instead:

1. ``HistoryBuffer`` pickles its data only. Its statistics methods live on the class
   (``HistoryBuffer.register_statistics``) and ``__setstate__`` restores them, so nothing is lost.
2. Exactly the classes that mmengine writes into checkpoints are allow-listed
   (:data:`CHECKPOINT_SAFE_GLOBALS`): ``HistoryBuffer`` and numpy's array/scalar reconstruction.
3. mmengine's local checkpoint loader is replaced by one that loads with ``weights_only=True``
   and, when a file needs more (a checkpoint written by stock mmengine, or any pickle with other
   globals), fails with :class:`UntrustedCheckpointError` naming the file and the global, unless
   the user opted in for that file: ``SIGNMAE_TRUSTED_CHECKPOINTS`` (files or folders, separated
   by ``os.pathsep``) or :func:`trust_checkpoints`. Trust is per path, never global.
"""
import inspect
import os
import os.path as osp
import pickle
from typing import Callable, Iterable, List, Optional, Union

import numpy as np
import torch
from mmengine.logging import HistoryBuffer, print_log
from mmengine.runner.checkpoint import CheckpointLoader

__all__ = [
    'CHECKPOINT_SAFE_GLOBALS', 'TRUSTED_CHECKPOINTS_ENV', 'UntrustedCheckpointError',
    'fix_history_buffer_pickling', 'install_safe_checkpoint_loading', 'load_from_local',
    'trust_checkpoints'
]

TRUSTED_CHECKPOINTS_ENV = 'SIGNMAE_TRUSTED_CHECKPOINTS'
_trusted_paths: List[str] = []


def _numpy_globals() -> list:
    """numpy objects that pickled arrays and scalars reference (numpy 1.x and 2.x names)."""
    try:
        from numpy._core import multiarray  # numpy >= 2
    except ImportError:
        from numpy.core import multiarray
    dtype_classes = [type(np.dtype(name)) for name in (
        'bool', 'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64',
        'float16', 'float32', 'float64')]
    return [multiarray._reconstruct, multiarray.scalar, np.ndarray, np.dtype] + dtype_classes


#: Globals that mmengine's checkpoints hold besides tensors and builtin containers.
CHECKPOINT_SAFE_GLOBALS = [HistoryBuffer] + _numpy_globals()


class UntrustedCheckpointError(pickle.UnpicklingError):
    """A checkpoint needs globals beyond the allow-list and its path was not trusted."""


def _history_buffer_state(self: HistoryBuffer) -> dict:
    """``HistoryBuffer.__getstate__`` without the class-level statistics functions."""
    return {k: v for k, v in self.__dict__.items() if k != 'statistics_methods'}


def fix_history_buffer_pickling() -> bool:
    """Make ``HistoryBuffer`` pickle its data only, if the installed mmengine pickles functions.

    Returns:
        bool: True if ``HistoryBuffer.__getstate__`` was replaced by this call.
    """
    if HistoryBuffer.__getstate__ is _history_buffer_state:
        return False
    probe_state = HistoryBuffer().__getstate__()
    if not any(callable(v) for v in probe_state.get('statistics_methods', {}).values()):
        return False  # the installed mmengine no longer pickles functions
    HistoryBuffer.__getstate__ = _history_buffer_state
    return True


def trust_checkpoints(paths: Union[str, Iterable[str]]) -> None:
    """Allow full unpickling (``weights_only=False``) of these files, or of files under folders.

    Only for files whose origin you trust: unpickling can run arbitrary code.

    Args:
        paths (str | Iterable[str]): Checkpoint files or folders.
    """
    if isinstance(paths, str):
        paths = [paths]
    _trusted_paths.extend(osp.realpath(osp.expanduser(p)) for p in paths)


def _is_trusted(filename: str) -> bool:
    env = [p for p in os.environ.get(TRUSTED_CHECKPOINTS_ENV, '').split(os.pathsep) if p]
    real = osp.realpath(filename)
    for trusted in _trusted_paths + [osp.realpath(osp.expanduser(p)) for p in env]:
        if real == trusted or real.startswith(trusted.rstrip(os.sep) + os.sep):
            return True
    return False


def load_from_local(filename: str, map_location: Optional[Union[str, Callable]] = None):
    """Load a local checkpoint with ``weights_only=True``, or fully if its path is trusted.

    Registered in place of mmengine's local loader, so ``Runner.resume``, ``load_from``,
    ``init_cfg=dict(type='Pretrained')`` and ``mmengine.runner.load_checkpoint`` all use it.

    Args:
        filename (str): Local checkpoint path.
        map_location (str | Callable, optional): Same as :func:`torch.load`.

    Returns:
        dict | OrderedDict: The loaded checkpoint.

    Raises:
        FileNotFoundError: If the file does not exist.
        UntrustedCheckpointError: If the file holds globals beyond the allow-list and the path
            is not trusted.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    try:
        return torch.load(filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        if not _is_trusted(filename):
            reason = str(err).strip().splitlines()[0] if str(err).strip() else repr(err)
            raise UntrustedCheckpointError(
                f'Checkpoint {filename} cannot be loaded with weights_only=True: {reason}. '
                'It holds objects beyond the tensors and the mmengine state that signmae_mm '
                'allow-lists (a checkpoint written by stock mmengine, or another pickle). '
                'Unpickling it can run arbitrary code; if you trust this file, allow it with '
                f'{TRUSTED_CHECKPOINTS_ENV}={filename} (files or folders, separated by '
                f'"{os.pathsep}") or signmae_mm.compat.trust_checkpoints().') from err
        print_log(f'Loading trusted checkpoint {filename} with weights_only=False', 'current')
        return torch.load(filename, map_location=map_location, weights_only=False)


def _mmengine_loader_has_defect() -> bool:
    stock = CheckpointLoader._schemes.get('')
    if stock is None or stock is load_from_local:
        return False
    try:
        return 'weights_only' not in inspect.getsource(stock)
    except (OSError, TypeError):
        return True


def install_safe_checkpoint_loading() -> bool:
    """Apply the three fixes above where the installed torch and mmengine need them.

    Returns:
        bool: True if the local checkpoint loader was replaced by this call.
    """
    fix_history_buffer_pickling()
    if not hasattr(torch.serialization, 'add_safe_globals'):
        return False  # torch < 2.4: weights_only is not the default there
    torch.serialization.add_safe_globals(CHECKPOINT_SAFE_GLOBALS)
    if not _mmengine_loader_has_defect():
        return False
    CheckpointLoader.register_scheme(prefixes='', loader=load_from_local, force=True)
    return True
