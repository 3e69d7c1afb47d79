"""Test-only hook: SIGKILL the training process right after a given epoch or iteration (and
after whatever the checkpoint hook saved then), like a preempted job."""
import os
import signal
from typing import Optional

from mmaction.registry import HOOKS
from mmengine.hooks import Hook


@HOOKS.register_module()
class KillHook(Hook):
    """Kill this process (SIGKILL, no clean-up) after epoch ``epoch`` or iteration ``iter``
    (1-based)."""

    priority = 'LOWEST'  # after CheckpointHook (VERY_LOW) has written its checkpoint

    def __init__(self, epoch: Optional[int] = None, iter: Optional[int] = None) -> None:
        self.epoch = epoch
        self.iter = iter

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        if self.iter is not None and runner.iter + 1 == self.iter:
            os.kill(os.getpid(), signal.SIGKILL)

    def after_train_epoch(self, runner) -> None:
        if self.epoch is not None and runner.epoch + 1 == self.epoch:
            os.kill(os.getpid(), signal.SIGKILL)
