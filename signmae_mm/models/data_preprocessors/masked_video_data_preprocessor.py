"""``MaskedVideoDataPreprocessor``: ``ActionDataPreprocessor`` that also stacks token masks."""
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmaction.models import ActionDataPreprocessor
from mmaction.registry import MODELS
from torch.nn.modules.utils import _pair

__all__ = ['MaskedVideoDataPreprocessor']


@MODELS.register_module()
class MaskedVideoDataPreprocessor(ActionDataPreprocessor):
    """Action data preprocessor that also stacks the per-sample token masks into ``masks``.

    Does what :class:`mmaction.models.ActionDataPreprocessor` does to ``inputs`` and
    ``data_samples``; when the samples carry a mask (field ``mask`` of each ``ActionDataSample``,
    written by a mask transform and packed by ``PackActionInputs(algorithm_keys=('mask', ))``) it
    also returns ``masks``: a ``torch.bool`` tensor ``(B, N)`` on the inputs' device. Without masks
    the output is exactly ``ActionDataPreprocessor``'s (no ``masks`` key).

    Args:
        mask_key (str): Data-sample field holding the mask. Defaults to ``'mask'``.
        tubelet_size (int, optional): With ``patch_size``, check that ``N`` equals the number of
            ``tubelet x patch x patch`` tokens of the inputs (NCTHW only).
        patch_size (int | tuple[int, int], optional): See ``tubelet_size``.
        **kwargs: Arguments of :class:`ActionDataPreprocessor` (``mean``, ``std``, ``to_rgb``,
            ``format_shape``, ``blending``, ...).
    """

    def __init__(self,
                 mask_key: str = 'mask',
                 tubelet_size: Optional[int] = None,
                 patch_size: Optional[Union[int, Tuple[int, int]]] = None,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if (tubelet_size is None) != (patch_size is None):
            raise ValueError('MaskedVideoDataPreprocessor: give both tubelet_size and '
                             'patch_size, or neither')
        self.mask_key = mask_key
        self.tubelet_size = tubelet_size
        self.patch_size = None if patch_size is None else tuple(_pair(patch_size))

    def forward(self, data: Union[dict, Sequence[dict]], training: bool = False) -> dict:
        """Preprocess a batch (``inputs`` and ``data_samples``).

        Raises:
            TypeError: The batch is a list of per-view batches: a dataset with
                ``num_repeats > 1`` batched by the default ``pseudo_collate``.
        """
        if isinstance(data, (list, tuple)):
            raise TypeError(
                'MaskedVideoDataPreprocessor: the batch is a list of views (a dataset with '
                'num_repeats > 1 batched by pseudo_collate); set '
                "train_dataloader.collate_fn=dict(type='flatten_views_collate')")
        return super().forward(data, training)

    def forward_onesample(self, data: dict, training: bool = False) -> dict:
        """Preprocess one batch and stack its masks.

        Args:
            data (dict): ``inputs`` (list of tensors ``(1, C, T, H, W)``) and ``data_samples``.
            training (bool): Training-time augmentation (``blending``).

        Returns:
            dict: ``inputs`` ``(B, 1, C, T, H, W)``, ``data_samples`` and, when the samples have
            masks, ``masks`` ``(B, N)`` bool.
        """
        data = super().forward_onesample(data, training)
        masks = self.stack_masks(data.get('data_samples'), data['inputs'])
        if masks is not None:
            data['masks'] = masks
        return data

    def stack_masks(self, data_samples: Optional[Sequence],
                    inputs: torch.Tensor) -> Optional[torch.Tensor]:
        """Stack the samples' masks into ``(B, N)`` bool on ``inputs.device``.

        Args:
            data_samples (Sequence[ActionDataSample], optional): The batch's samples.
            inputs (torch.Tensor): The preprocessed inputs.

        Returns:
            torch.Tensor, optional: The masks, or None when no sample has one.
        """
        if not data_samples:
            return None
        has = [self.mask_key in ds for ds in data_samples]
        if not any(has):
            return None
        if not all(has):
            missing = [self._name(ds, i) for i, (ds, h) in enumerate(zip(data_samples, has))
                       if not h]
            raise ValueError(f'MaskedVideoDataPreprocessor: some samples of the batch have no '
                             f'"{self.mask_key}": {missing}')
        rows: List[torch.Tensor] = []
        for i, ds in enumerate(data_samples):
            m = ds.get(self.mask_key)
            m = torch.from_numpy(np.asarray(m)) if not isinstance(m, torch.Tensor) else m
            if m.ndim != 1 or m.dtype != torch.bool:
                raise ValueError(f'MaskedVideoDataPreprocessor: the mask of '
                                 f'{self._name(ds, i)} must be a 1-D bool array, got '
                                 f'{tuple(m.shape)} {m.dtype}')
            rows.append(m)
        sizes = {m.numel() for m in rows}
        if len(sizes) != 1:
            raise ValueError(f'MaskedVideoDataPreprocessor: masks of different lengths in one '
                             f'batch: {[m.numel() for m in rows]}')
        masks = torch.stack([m.to(inputs.device) for m in rows])
        counts = masks.sum(1)
        if (counts != counts[0]).any():
            raise ValueError('MaskedVideoDataPreprocessor: every sample must mask the same '
                             f'number of tokens, got {counts.tolist()}')
        if self.tubelet_size is not None:
            self._check_grid(masks.shape[1], inputs)
        return masks

    def _check_grid(self, n: int, inputs: torch.Tensor) -> None:
        if inputs.ndim == 6 and inputs.shape[1] != 1:
            raise ValueError(f'MaskedVideoDataPreprocessor: masks need one clip per sample, '
                             f'inputs are {tuple(inputs.shape)}')
        t, h, w = inputs.shape[-3:]
        expected = (t // self.tubelet_size) * (h // self.patch_size[0]) * \
            (w // self.patch_size[1])
        if n != expected:
            raise ValueError(f'MaskedVideoDataPreprocessor: masks have {n} tokens but '
                             f'{t}x{h}x{w} inputs make {expected} tokens of '
                             f'{self.tubelet_size}x{self.patch_size[0]}x{self.patch_size[1]}')

    @staticmethod
    def _name(data_sample, index: int) -> str:
        name = data_sample.metainfo.get('filename') if hasattr(data_sample, 'metainfo') else None
        return f'sample {index}' + (f' ({name})' if name else '')
