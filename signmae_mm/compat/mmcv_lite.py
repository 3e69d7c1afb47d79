"""mmcv-lite (the core stack) warns at every import that an op nothing of ours uses is missing.

``mmcv.cnn.bricks.transformer`` (imported by mmaction2's models) tries to import
``MultiScaleDeformableAttention``, a compiled detection op, and on mmcv-lite warns "You should
install mmcv rather than mmcv-lite": in every training log and command, for an op that only
Deformable DETR-style detectors need. The paths of ours that need compiled ops say so themselves
(:func:`signmae_mm.stack.require_full_stack`).
"""
import warnings

from ..stack import has_module

__all__ = ['silence_mmcv_lite_warning']

_MESSAGE = r'Fail to import ``MultiScaleDeformableAttention``'


def silence_mmcv_lite_warning() -> bool:
    """Filter that one warning where mmcv has no compiled ops.

    Returns:
        bool: Whether a filter was added (False with the compiled mmcv).
    """
    if has_module('mmcv._ext'):
        return False
    warnings.filterwarnings('ignore', message=_MESSAGE, category=UserWarning)
    return True
