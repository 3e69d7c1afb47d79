"""``StepSeedHook``: the random numbers of a training step depend on (seed, rank, iteration)
only, so a resumed run draws exactly what the uninterrupted run drew."""
import random
from typing import Optional

import numpy as np
import torch
from mmaction.registry import HOOKS
from mmengine.hooks import Hook

__all__ = ['StepSeedHook', 'step_seed']

DATA_BATCH = Optional[dict]


def step_seed(seed: int, iteration: int) -> int:
    """A 32-bit seed for one training iteration, well mixed from ``(seed, iteration)``."""
    entropy = [int(seed) & 0xFFFFFFFFFFFFFFFF, int(iteration)]
    return int(np.random.SeedSequence(entropy).generate_state(1)[0])


@HOOKS.register_module()
class StepSeedHook(Hook):
    """Reseed python's ``random``, numpy and torch (every device) before each training iteration.

    Why: the random stream that the train step uses (dropout, drop path, mixup / cutmix in the
    data preprocessor, random masking in the model) otherwise carries the whole history of the
    process, including draws that an uninterrupted and a resumed run do not make alike: torch's
    ``DataLoader`` takes a base seed from the global torch RNG each time an epoch's iterator starts,
    mmengine's ``IterBasedTrainLoop`` fetches (and so transforms) the batches it skips on resume,
    and with ``num_workers=0`` the data pipeline draws from the main process's numpy RNG. None of
    these states is in the checkpoint. Reseeding from ``(runner.seed, runner.iter)`` makes the
    step's randomness a function of the iteration alone, nothing to save, the same on resume.

    ``runner.seed`` is the seed of ``randomness`` (plus the rank with ``diff_rank_seed=True``, as
    mmengine sets it), so ranks differ exactly when mmengine makes them differ. The data pipeline
    is seeded per sample by :class:`~signmae_mm.datasets.SeededSampler` and the dataset; this hook
    only covers the main process's train step. Cost: three seedings per iteration
    (microseconds). Priority 'VERY_HIGH': the seeding comes before any other hook's
    ``before_train_iter``.
    """

    priority = 'VERY_HIGH'

    def before_train_iter(self, runner, batch_idx: int, data_batch: DATA_BATCH = None) -> None:
        """Seed every global generator from ``(runner.seed, runner.iter)``."""
        seed = step_seed(runner.seed, runner.iter)
        random.seed(seed)
        np.random.seed(seed)
        torch.manual_seed(seed)  # also seeds every CUDA device
