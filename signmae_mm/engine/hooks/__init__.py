"""mmengine hooks of SignMAE (registered into ``mmaction.registry.HOOKS``)."""
from .atomic_checkpoint_hook import AtomicCheckpointHook
from .param_sync_check_hook import ParamSyncCheckHook, state_digest
from .step_seed_hook import StepSeedHook, step_seed

__all__ = [
    'AtomicCheckpointHook', 'ParamSyncCheckHook', 'StepSeedHook', 'state_digest', 'step_seed'
]
