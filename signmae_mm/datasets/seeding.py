"""Per-sample random seeds: sample ``i`` of epoch ``e`` draws the same random numbers (frame
offsets, crops, flips, masks) whatever happened before, in any worker, after any resume."""
import random
from contextlib import contextmanager
from typing import Iterator, Optional

import numpy as np
import torch
from mmaction.registry import DATA_SAMPLERS
from mmengine.dataset import DefaultSampler

__all__ = ['SeededIndex', 'SeededSampler', 'isolated_rng', 'sample_seed']


class SeededIndex(int):
    """A dataset index that also carries the sampler's ``seed`` and ``epoch``.

    It is an ``int`` everywhere (datasets that do not look for the extra fields just index with
    it) and survives the pickling into DataLoader workers; the epoch travels with the index
    because persistent workers hold their own copy of the dataset, which no ``set_epoch`` in the
    main process reaches.
    """

    def __new__(cls, value: int, seed: int, epoch: int) -> 'SeededIndex':
        obj = super().__new__(cls, value)
        obj.seed = int(seed)
        obj.epoch = int(epoch)
        return obj

    def __reduce__(self):
        return SeededIndex, (int(self), self.seed, self.epoch)

    def __repr__(self) -> str:
        return f'SeededIndex({int(self)}, seed={self.seed}, epoch={self.epoch})'


def sample_seed(seed: int, epoch: int, index: int, attempt: int = 0, stream: int = 0) -> int:
    """A 32-bit seed mixed from ``(seed, epoch, index, attempt, stream)`` by numpy's
    ``SeedSequence``; ``stream`` separates independent uses (0: transforms, 1: redraws)."""
    entropy = [int(seed) & 0xFFFFFFFFFFFFFFFF, int(epoch), int(index), int(attempt), int(stream)]
    return int(np.random.SeedSequence(entropy).generate_state(1)[0])


@contextmanager
def isolated_rng(seed: Optional[int]) -> Iterator[None]:
    """Seed python's ``random``, numpy and torch's CPU generator; restore them afterwards.

    Restoring keeps the caller's streams untouched: with ``num_workers=0`` the data pipeline runs
    in the training process, whose generators then stay as the train step left them. CUDA
    generators are not touched (data transforms run on the CPU). ``seed=None`` does nothing.
    """
    if seed is None:
        yield
        return
    states = random.getstate(), np.random.get_state(), torch.default_generator.get_state()
    random.seed(seed)
    np.random.seed(seed)
    torch.default_generator.manual_seed(seed)
    try:
        yield
    finally:
        random.setstate(states[0])
        np.random.set_state(states[1])
        torch.default_generator.set_state(states[2])


@DATA_SAMPLERS.register_module()
class SeededSampler(DefaultSampler):
    """mmengine's :class:`~mmengine.dataset.DefaultSampler` whose indices carry (seed, epoch).

    Same order, sharding and ``set_epoch`` as ``DefaultSampler``; every index it yields is a
    :class:`SeededIndex`. A dataset that knows about it (``SignVideoDataset``) runs the sample's
    transforms under :func:`isolated_rng` seeded with ``sample_seed(seed, epoch, index)``: the
    sample's randomness no longer depends on which worker loads it, on what that worker loaded
    before, or on the number of workers, and it differs from epoch to epoch (mmengine's
    ``worker_init_fn`` alone gives non-persistent workers the same seeds every epoch). That is
    what makes the data of a resumed run equal to the uninterrupted run's.

    ``seed`` comes from the runner like ``DefaultSampler``'s (the ``randomness`` seed, or with
    ``diff_rank_seed=True`` a seed that rank 0 draws from its seeded numpy generator and
    broadcasts), so it is the same on every rank.
    """

    def __iter__(self) -> Iterator[int]:
        seed, epoch = self.seed, self.epoch
        for index in super().__iter__():
            yield SeededIndex(index, seed, epoch)
