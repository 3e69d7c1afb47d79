"""Work-arounds for defects of the published OpenMMLab packages (see ENVIRONMENT notes).

Each fix checks for its defect first and does nothing when the installed package is sound.
:func:`apply_compat_fixes` runs them all; ``import signmae_mm`` calls it before anything of
ours imports ``mmaction.models``.
"""
from typing import Dict

from .checkpoint import (CHECKPOINT_SAFE_GLOBALS, TRUSTED_CHECKPOINTS_ENV,
                         UntrustedCheckpointError, install_safe_checkpoint_loading,
                         trust_checkpoints)
from .cpu_dist import install_cpu_dist_launch
from .drn import DRNUnavailableError, install_drn_stub
from .mmcv_lite import silence_mmcv_lite_warning
from .multimodal import disable_broken_multimodal

__all__ = [
    'CHECKPOINT_SAFE_GLOBALS', 'DRNUnavailableError', 'TRUSTED_CHECKPOINTS_ENV',
    'UntrustedCheckpointError', 'apply_compat_fixes', 'disable_broken_multimodal',
    'install_drn_stub', 'install_safe_checkpoint_loading', 'trust_checkpoints',
    'install_cpu_dist_launch', 'silence_mmcv_lite_warning'
]


def apply_compat_fixes() -> Dict[str, bool]:
    """Apply every fix whose defect is present; safe to call more than once.

    Returns:
        dict[str, bool]: For each fix, whether this call changed anything.
    """
    return dict(
        mmcv_lite_warning=silence_mmcv_lite_warning(),
        drn_stub=install_drn_stub(),
        multimodal_off=disable_broken_multimodal(),
        safe_checkpoint_loader=install_safe_checkpoint_loading(),
        cpu_dist_launch=install_cpu_dist_launch(),
    )
