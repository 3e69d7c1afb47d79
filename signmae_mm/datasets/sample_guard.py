"""Bad samples during training: log, skip, count, and stop once there are too many."""
import logging
import zipfile
from typing import List, Optional, Tuple, Type

import numpy as np
from mmengine.logging import print_log

from .seeding import isolated_rng, sample_seed

__all__ = ['BadSampleLimitError', 'SampleGuardMixin', 'data_error_types', 'is_data_error']


class BadSampleLimitError(RuntimeError):
    """More bad samples than ``max_bad_ratio`` allows."""


def data_error_types() -> Tuple[Type[BaseException], ...]:
    """The exceptions that mean "this sample's files are bad", not "the code is wrong".

    ``ValueError`` covers :class:`~signmae_mm.datasets.SignAnnotationError` and the transforms'
    checks (frame count, image size, no usable keypoints), ``KeyError`` a sample missing a key,
    ``OSError`` / ``EOFError`` / ``zipfile.BadZipFile`` unreadable or truncated files, and
    decord's ``DECORDError`` a video that does not decode (decord also raises a plain
    ``RuntimeError`` for an unreadable file: see :func:`is_data_error`). ``TypeError``,
    ``AttributeError`` and the like are programming errors and always propagate.
    """
    errors: List[Type[BaseException]] = [ValueError, KeyError, OSError, EOFError,
                                         zipfile.BadZipFile]
    try:
        from decord._ffi.base import DECORDError
        errors.append(DECORDError)
    except ImportError:  # decord is optional for mmaction2; without it there is no such error
        pass
    return tuple(errors)


def _raised_in_decord(error: BaseException) -> bool:
    """Whether the innermost frame of the error's traceback is decord's own code."""
    tb = error.__traceback__
    if tb is None:
        return False
    while tb.tb_next is not None:
        tb = tb.tb_next
    return tb.tb_frame.f_globals.get('__name__', '').split('.')[0] == 'decord'


def is_data_error(error: BaseException) -> bool:
    """A data error: one of :func:`data_error_types`, or a ``RuntimeError`` that decord raised
    (``VideoReader`` reports a file it cannot open as ``RuntimeError('Error reading ...')``;
    other ``RuntimeError`` s, e.g. from torch, are not data errors)."""
    if isinstance(error, data_error_types()):
        return True
    return isinstance(error, RuntimeError) and _raised_in_decord(error)


class SampleGuardMixin:
    """``__getitem__`` for mmengine datasets: per-sample seeding and bad-sample handling.

    Put it before the mmengine dataset class (``class D(SampleGuardMixin, VideoDataset)``) and call
    :meth:`_init_sample_guard` in ``__init__``. It replaces ``BaseDataset.__getitem__``:

    - Seeding: an index from :class:`~signmae_mm.datasets.SeededSampler` carries (seed, epoch);
      the sample's pipeline then runs under ``isolated_rng(sample_seed(seed, epoch, index,
      attempt))``, and a redraw picks its replacement from a generator seeded the same way.
      Plain ``int`` indices use the global generators, as mmengine does.
    - ``None`` from the pipeline (a transform dropped the sample on purpose) redraws, as in
      mmengine, up to ``max_refetch`` times; it is not counted as bad.
    - A data error (:func:`is_data_error`) in training, with ``max_bad_ratio`` set: the
      sample is logged (path and reason), counted, and another is drawn. Once this process has
      met ``min_bad_count`` bad samples and they are more than ``max_bad_ratio`` of the samples
      it loaded, :class:`BadSampleLimitError` names the limit and the first bad files. Counts are
      per process (each DataLoader worker and each rank counts what it loads).
    - In test mode (and with ``max_bad_ratio=None``) nothing is redrawn: the error propagates
      with a note naming the sample, since evaluation must see every sample.
    """

    #: How many bad samples the error message lists.
    MAX_LISTED = 10

    def _init_sample_guard(self, max_bad_ratio: Optional[float], min_bad_count: int) -> None:
        if max_bad_ratio is not None and not 0 <= max_bad_ratio < 1:
            raise ValueError(f'max_bad_ratio must be in [0, 1) or None, got {max_bad_ratio}')
        if min_bad_count < 1:
            raise ValueError(f'min_bad_count must be >= 1, got {min_bad_count}')
        self.max_bad_ratio = max_bad_ratio
        self.min_bad_count = min_bad_count
        self.num_loaded = 0
        self.num_bad = 0
        self.bad_samples: List[Tuple[str, str]] = []

    def __getitem__(self, idx: int) -> dict:
        if not self._fully_initialized:
            print_log('Please call `full_init()` method manually to accelerate the speed.',
                      logger='current')
            self.full_init()
        seed = getattr(idx, 'seed', None)
        epoch = getattr(idx, 'epoch', 0)
        first = int(idx)
        redraw = (np.random.default_rng(sample_seed(seed, epoch, first, stream=1))
                  if seed is not None else None)
        idx = first
        attempts = 1 if self.test_mode else self.max_refetch + 1
        for attempt in range(attempts):
            data = self._load_sample(
                idx, None if seed is None else sample_seed(seed, epoch, first, attempt))
            if data is not None:
                return data
            if self.test_mode:
                raise RuntimeError(f'{type(self).__name__}: the test-time pipeline returned None '
                                   f'for sample {idx} ({self._sample_name(idx)})')
            idx = int(redraw.integers(len(self))) if redraw is not None else self._rand_another()
        raise RuntimeError(f'{type(self).__name__}: no valid sample after {attempts} draws '
                           f'starting from sample {first} ({self._sample_name(first)}); '
                           'check the data and the transforms that drop samples')

    def _sample_name(self, idx: int) -> str:
        info = self.get_data_info(idx)
        return str(info.get('filename', info.get('frame_dir', f'sample {idx}')))

    def _load_sample(self, idx: int, seed: Optional[int]) -> Optional[dict]:
        """Run the pipeline on one sample; None if it was dropped or (in training) bad."""
        self.num_loaded += 1
        try:
            with isolated_rng(seed):
                return self.prepare_data(idx)
        except Exception as e:
            if not is_data_error(e):
                raise
            name = self._sample_name(idx)
            if self.test_mode or self.max_bad_ratio is None:
                e.add_note(f'while loading sample {idx} ({name})')
                raise
            self._record_bad(idx, name, f'{type(e).__name__}: {e}')
            return None

    def _record_bad(self, idx: int, name: str, reason: str) -> None:
        self.num_bad += 1
        if len(self.bad_samples) < self.MAX_LISTED:
            self.bad_samples.append((name, reason))
        print_log(f'{type(self).__name__}: skipping bad sample {idx} ({name}): {reason} '
                  f'[{self.num_bad} bad of {self.num_loaded} loaded by this process]',
                  logger='current', level=logging.WARNING)
        if (self.num_bad >= self.min_bad_count
                and self.num_bad > self.max_bad_ratio * self.num_loaded):
            listed = '\n'.join(f'  {n}: {r}' for n, r in self.bad_samples)
            raise BadSampleLimitError(
                f'{type(self).__name__}: {self.num_bad} of {self.num_loaded} samples loaded by '
                f'this process were bad ({self.num_bad / self.num_loaded:.1%}), more than '
                f'max_bad_ratio={self.max_bad_ratio} allows (checked from '
                f'min_bad_count={self.min_bad_count} bad samples on). First bad samples:\n'
                f'{listed}')
