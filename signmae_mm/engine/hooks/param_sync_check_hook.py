"""``ParamSyncCheckHook``: check that every rank of a data-parallel run holds the same weights."""
import hashlib
import os
import os.path as osp
from typing import Dict, List, Optional

import torch
from mmaction.registry import HOOKS
from mmengine.dist import all_gather_object, get_rank, get_world_size
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper

__all__ = ['ParamSyncCheckHook', 'state_digest']

DATA_BATCH = Optional[dict]


def state_digest(state: Dict[str, torch.Tensor]) -> str:
    """SHA-256 of a state dict's names, dtypes, shapes and exact bytes (bit identity)."""
    sha = hashlib.sha256()
    for name in sorted(state):
        value = state[name]
        if not isinstance(value, torch.Tensor):
            continue
        tensor = value.detach().cpu().contiguous()
        sha.update(f'{name}:{tensor.dtype}:{tuple(tensor.shape)};'.encode())
        sha.update(tensor.view(torch.uint8).numpy().tobytes() if tensor.numel() else b'')
    return sha.hexdigest()


@HOOKS.register_module()
class ParamSyncCheckHook(Hook):
    """Compare the model's weights (parameters and buffers) across ranks, bit for bit.

    DDP keeps replicas identical only if every rank applies the same update; a rank that skipped
    a step, a non-deterministic buffer update or an optimizer state that diverged makes them
    drift silently. This hook hashes each rank's ``state_dict`` (:func:`state_digest`), gathers
    the digests through mmengine's ``all_gather_object`` and raises ``RuntimeError`` when they
    differ. Does nothing in a single-process run except the optional dump.

    Args:
        interval (int): Check every ``interval`` training iterations; 0 checks at the end of
            training only. Defaults to 0.
        dump_dir (str, optional): If set, every rank also saves its final ``state_dict`` to
            ``{dump_dir}/rank{rank}.pth`` at the end of training (relative paths are taken
            from the work dir), so the weights can be compared outside the run.
    """

    priority = 'LOW'

    def __init__(self, interval: int = 0, dump_dir: Optional[str] = None) -> None:
        if interval < 0:
            raise ValueError(f'ParamSyncCheckHook: interval must be >= 0, got {interval}')
        self.interval = interval
        self.dump_dir = dump_dir

    @staticmethod
    def _state(runner) -> Dict[str, torch.Tensor]:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        return model.state_dict()

    def check(self, runner, iteration: int) -> List[str]:
        """Gather every rank's digest; raise if they differ.

        Args:
            runner (Runner): The runner.
            iteration (int): Iterations done (named in the log and the error).

        Returns:
            list[str]: The digests, by rank.
        """
        digests = all_gather_object(state_digest(self._state(runner)))
        if len(set(digests)) > 1:
            table = ', '.join(f'rank {r}: {d[:12]}' for r, d in enumerate(digests))
            raise RuntimeError(f'ParamSyncCheckHook: the ranks hold different weights after '
                               f'iteration {iteration}: {table}')
        print_log(f'ParamSyncCheckHook: weights identical on all {len(digests)} ranks after '
                  f'iteration {iteration} (sha256 {digests[0][:12]})', logger='current')
        return digests

    def after_train_iter(self, runner, batch_idx: int, data_batch: DATA_BATCH = None,
                         outputs: Optional[dict] = None) -> None:
        """Check every ``interval`` iterations."""
        if self.interval and get_world_size() > 1 and self.every_n_train_iters(
                runner, self.interval):
            self.check(runner, runner.iter + 1)  # runner.iter counts from 0 until the step ends

    def after_train(self, runner) -> None:
        """Dump this rank's weights if asked, then check (always at the end)."""
        if self.dump_dir is not None:
            folder = osp.join(runner.work_dir, self.dump_dir)
            os.makedirs(folder, exist_ok=True)
            state = {k: v.detach().cpu() for k, v in self._state(runner).items()}
            torch.save(state, osp.join(folder, f'rank{get_rank()}.pth'))
        if get_world_size() > 1:
            self.check(runner, runner.iter)
