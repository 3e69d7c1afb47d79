"""Which OpenMMLab stack is installed: the core (mmcv-lite) or the full one (compiled mmcv, mmdet,
mmpose).

Training, testing, the demo, MediaPipe preprocessing, the converters and the visualisers run on
the core stack, which installs in minutes. Person detection (RTMDet) and whole-body pose
(RTMPose) need mmdet and mmpose, which need mmcv's compiled ops: those paths call
:func:`require_full_stack` before they import anything, so that a core install fails at once with
the install command instead of deep inside mmdet.
"""
import importlib.util
from typing import List

__all__ = ['FULL_STACK_INSTALL_HINT', 'FullStackNotInstalledError', 'has_module',
           'missing_full_stack', 'require_full_stack', 'require_mmcv']

FULL_STACK_INSTALL_HINT = 'bash tools/install.sh --full'


class FullStackNotInstalledError(ImportError):
    """A path that needs mmcv's compiled ops, mmdet and mmpose ran on the core stack."""


def has_module(name: str) -> bool:
    """Whether ``name`` can be imported here (found without importing it; a missing or broken
    parent package counts as missing)."""
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):  # a parent package that is missing or broken
        return False


def require_mmcv() -> None:
    """Fail with the install command when no mmcv is there (it is not a pip requirement).

    Raises:
        ImportError: Neither mmcv-lite nor mmcv is installed.
    """
    if not has_module('mmcv'):
        raise ImportError(
            'signmae_mm needs mmcv 2.x, which its pip requirements cannot name (mmcv-lite and '
            'mmcv both provide it): `pip install mmcv-lite==2.1.0` for the core stack, or '
            f'`bash tools/install.sh` (core) / `{FULL_STACK_INSTALL_HINT}` (compiled ops, mmdet, '
            'mmpose).')


def missing_full_stack() -> List[str]:
    """Name what the full stack lacks here; empty when it is complete.

    Returns:
        list[str]: Of ``'mmcv ops'`` (mmcv-lite, or an mmcv built without its ops),
        ``'mmdet'`` and ``'mmpose'``, those that cannot be imported.
    """
    missing = []
    if not has_module('mmcv._ext'):
        missing.append('mmcv ops')
    missing.extend(name for name in ('mmdet', 'mmpose') if not has_module(name))
    return missing


def require_full_stack(purpose: str) -> None:
    """Raise a clear error when ``purpose`` cannot run for lack of the full stack.

    Args:
        purpose (str): What needs it, for the message (e.g. ``'RTMDet person detection'``).

    Raises:
        FullStackNotInstalledError: Naming what is missing and the install command.
    """
    missing = missing_full_stack()
    if missing:
        raise FullStackNotInstalledError(
            f'{purpose} needs the full OpenMMLab stack (mmcv with its compiled ops, mmdet, '
            f'mmpose); this environment lacks {", ".join(missing)}. Install it with '
            f'`{FULL_STACK_INSTALL_HINT}` (builds mmcv once, about 11 minutes on 2 cores), or use '
            'the MediaPipe backend (`--pose-backend mediapipe`), which needs neither.')
