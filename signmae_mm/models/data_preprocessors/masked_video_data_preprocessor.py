"""``MaskedVideoDataPreprocessor``: ``ActionDataPreprocessor`` that also stacks the token masks.

The route of a token mask into the model, in one line each:

1. a mask transform (``SegmentGuidedHandMask``, ``TubeMask``, ``RandomMask``) writes
   ``results['mask']``, ``(N,)`` bool;
2. ``PackActionInputs(algorithm_keys=('mask', ))`` puts it on the data sample (``mask``), as
   mmpretrain's SimMIM / BEiT pipelines do;
3. this preprocessor stacks the batch's masks once, into ``masks`` ``(B, N)`` on the inputs'
   device (:func:`stack_token_masks`);
4. :class:`~signmae_mm.models.VideoMAEPretrainer` takes ``masks`` and checks them once, against
   its encoder's token grid, before anything uses them.
"""
import warnings
from typing import Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmaction.models import ActionDataPreprocessor
from mmaction.registry import MODELS

__all__ = ['MaskedVideoDataPreprocessor', 'stack_token_masks']


def _name(data_sample, index: int) -> str:
    name = data_sample.metainfo.get('filename') if hasattr(data_sample, 'metainfo') else None
    return f'sample {index}' + (f' ({name})' if name else '')


def stack_token_masks(data_samples: Optional[Sequence], device: Union[str, torch.device],
                      key: str = 'mask') -> Optional[torch.Tensor]:
    """Stack the data samples' masks into one ``(B, N)`` tensor.

    Only what stacking needs is required here (every sample has a mask, all of one length);
    what the masks must be for the model (bool, the clip's token count, the same number masked
    per clip) is checked by the model.

    Args:
        data_samples (Sequence[ActionDataSample], optional): The batch's samples.
        device (str | torch.device): Device of the result (the inputs').
        key (str): Data-sample field of the mask. Defaults to ``'mask'``.

    Returns:
        torch.Tensor | None: ``(B, N)`` with the masks' dtype, or None when no sample has one.

    Raises:
        ValueError: Some samples have a mask and others not, or the lengths differ.
    """
    if not data_samples:
        return None
    has = [key in ds for ds in data_samples]
    if not any(has):
        return None
    if not all(has):
        missing = [_name(ds, i) for i, (ds, h) in enumerate(zip(data_samples, has)) if not h]
        raise ValueError(f'MaskedVideoDataPreprocessor: some samples of the batch have no '
                         f'"{key}": {missing}')
    rows = [torch.as_tensor(np.asarray(m) if not isinstance(m, torch.Tensor) else m)
            for m in (ds.get(key) for ds in data_samples)]
    sizes = [m.numel() for m in rows]
    if len(set(sizes)) != 1:
        raise ValueError(f'MaskedVideoDataPreprocessor: masks of different lengths in one '
                         f'batch: {sizes}')
    return torch.stack([m.reshape(-1) for m in rows]).to(device)


@MODELS.register_module()
class MaskedVideoDataPreprocessor(ActionDataPreprocessor):
    """Action data preprocessor that also stacks the per-sample token masks into ``masks``.

    Does what :class:`mmaction.models.ActionDataPreprocessor` does to ``inputs`` and
    ``data_samples``; when the samples carry a mask it also returns ``masks``
    (:func:`stack_token_masks`). Without masks the output is exactly ``ActionDataPreprocessor``'s
    (no ``masks`` key).

    Args:
        mask_key (str): Data-sample field holding the mask. Defaults to ``'mask'``.
        tubelet_size (int, optional): Kept so that old configs build; unused: the model checks
            the masks against its own token grid.
        patch_size (int | tuple[int, int], optional): As ``tubelet_size``.
        **kwargs: Arguments of :class:`ActionDataPreprocessor` (``mean``, ``std``, ``to_rgb``,
            ``format_shape``, ``blending``, ...).
    """

    def __init__(self,
                 mask_key: str = 'mask',
                 tubelet_size: Optional[int] = None,
                 patch_size: Optional[Union[int, Tuple[int, int]]] = None,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if tubelet_size is not None or patch_size is not None:
            warnings.warn('MaskedVideoDataPreprocessor: tubelet_size and patch_size are no '
                          'longer used (VideoMAEPretrainer checks the masks against its '
                          "backbone's token grid); remove them from the config")
        self.mask_key = mask_key

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
            masks, ``masks`` ``(B, N)``.
        """
        data = super().forward_onesample(data, training)
        masks = stack_token_masks(data.get('data_samples'), data['inputs'].device,
                                  self.mask_key)
        if masks is not None:
            data['masks'] = masks
        return data
