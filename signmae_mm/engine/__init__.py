"""Training-engine parts of SignMAE: mmengine hooks and a file backend for reliable runs.

Importing it (``import signmae_mm`` does) registers :class:`AtomicCheckpointHook`,
:class:`StepSeedHook` and :class:`ParamSyncCheckHook` into ``mmaction.registry.HOOKS``,
:class:`CPUAutocastOptimWrapper` into ``mmaction.registry.OPTIM_WRAPPERS`` and the
``atomic_local`` file backend into ``mmengine.fileio``.
"""
from .atomic_local_backend import ATOMIC_LOCAL_BACKEND, AtomicLocalBackend, atomic_write
from .hooks import AtomicCheckpointHook, ParamSyncCheckHook, StepSeedHook
from .optim_wrappers import CPUAutocastOptimWrapper, cpu_bf16_supported

__all__ = [
    'ATOMIC_LOCAL_BACKEND', 'AtomicLocalBackend', 'atomic_write', 'AtomicCheckpointHook',
    'ParamSyncCheckHook', 'StepSeedHook', 'CPUAutocastOptimWrapper', 'cpu_bf16_supported'
]
