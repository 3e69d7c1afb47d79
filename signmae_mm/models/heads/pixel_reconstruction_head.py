"""VideoMAE's reconstruction target and loss: per-tubelet normalised pixels, masked tokens only."""
from typing import Dict, Optional

import torch
from mmaction.registry import MODELS
from mmaction.utils import ConfigType
from mmengine.model import BaseModule
from torch import Tensor

from ..utils.tokens import patchify

__all__ = ['PixelReconstructionHead']


@MODELS.register_module()
class PixelReconstructionHead(BaseModule):
    """Builds VideoMAE's pixel target and applies the loss on the masked tokens.

    Target (VideoMAE): the clip in pixel values (the data preprocessor's normalisation undone,
    divided by ``pixel_scale`` to [0, 1]), cut into ``tubelet x patch x patch`` tubelets laid out
    ``(pt, ph, pw, C)``. With ``norm_pix=True`` each tubelet is normalised per channel over its
    ``tubelet * patch * patch`` pixels: ``(x - mean) / (unbiased std + eps)``.

    Only tokens that the encoder masked count: the loss is weighted by the encoder mask at the
    reconstructed positions (with dual masking the decoder also reconstructs some visible
    positions, which get weight 0).

    Args:
        patch_size (int): Token side in pixels. Defaults to 16.
        tubelet_size (int): Frames per token. Defaults to 2.
        norm_pix (bool): Per-tubelet normalised target (True) or plain pixels. Defaults to True.
        eps (float): Added to the std of a tubelet. Defaults to 1e-6.
        pixel_scale (float): Pixel value of full intensity; the un-normalised clip is divided
            by it. Defaults to 255 (mmaction2's uint8 frames).
        loss (dict): Loss config, called as ``loss(pred, target, weight)``. Defaults to
            ``dict(type='MaskedMSELoss')``.
        init_cfg (dict, optional): Unused (no parameters).
    """

    def __init__(self,
                 patch_size: int = 16,
                 tubelet_size: int = 2,
                 norm_pix: bool = True,
                 eps: float = 1e-6,
                 pixel_scale: float = 255.,
                 loss: ConfigType = dict(type='MaskedMSELoss'),
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.patch_size = patch_size
        self.tubelet_size = tubelet_size
        self.norm_pix = norm_pix
        self.eps = eps
        self.pixel_scale = pixel_scale
        self.loss_module = MODELS.build(loss)

    @torch.no_grad()
    def construct_target(self, video: Tensor) -> Tensor:
        """Reconstruction target of every token.

        Args:
            video (Tensor): ``(B, C, T, H, W)`` clip in pixel values (not normalised).

        Returns:
            Tensor: ``(B, N, tubelet * patch * patch * C)`` float32 target.
        """
        patches = patchify(video.float() / self.pixel_scale, self.tubelet_size, self.patch_size)
        if not self.norm_pix:
            return patches
        b, n, _ = patches.shape
        patches = patches.reshape(b, n, -1, video.shape[1])  # (B, N, pt*ph*pw, C)
        mean = patches.mean(dim=-2, keepdim=True)
        std = patches.var(dim=-2, unbiased=True, keepdim=True).sqrt()
        return ((patches - mean) / (std + self.eps)).reshape(b, n, -1)

    def loss(self,
             pred: Tensor,
             video: Tensor,
             mask: Tensor,
             target_mask: Optional[Tensor] = None) -> Dict[str, Tensor]:
        """Reconstruction loss on the masked tokens.

        Args:
            pred (Tensor): ``(B, M, D)`` decoder predictions for the positions where
                ``target_mask`` is True, in (t, h, w) order.
            video (Tensor): ``(B, C, T, H, W)`` clip in pixel values.
            mask (Tensor): ``(B, N)`` bool encoder mask, True = masked.
            target_mask (Tensor, optional): ``(B, N)`` bool, the decoder's reconstructed
                positions. Defaults to ``mask``.

        Returns:
            dict[str, Tensor]: ``loss_rec``.
        """
        if target_mask is None:
            target_mask = mask
        target = self.construct_target(video)
        b, m, _ = pred.shape
        if target.shape[1] != mask.shape[1] or target.shape[-1] != pred.shape[-1]:
            raise ValueError(f'prediction {tuple(pred.shape)} does not fit the target '
                             f'{tuple(target.shape)} of this clip')
        # Boolean selection keeps the (t, h, w) order, the decoder's output order.
        target = target[target_mask].reshape(b, m, -1)
        weight = mask[target_mask].reshape(b, m)
        return dict(loss_rec=self.loss_module(pred, target, weight))

    def unpatchify_prediction(self, pred: Tensor, video: Tensor, target_mask: Tensor) -> Tensor:
        """Predicted pixel values (in the clip's scale) of the reconstructed tokens.

        With ``norm_pix`` the statistics of each true tubelet undo the normalisation, as in
        VideoMAE's visualisation.

        Args:
            pred (Tensor): ``(B, M, D)`` predictions at ``target_mask``.
            video (Tensor): ``(B, C, T, H, W)`` clip in pixel values.
            target_mask (Tensor): ``(B, N)`` bool.

        Returns:
            Tensor: ``(B, M, D)`` pixel values, laid out ``(pt, ph, pw, C)`` per token.
        """
        b, m, _ = pred.shape
        c = video.shape[1]
        patches = patchify(video.float() / self.pixel_scale, self.tubelet_size, self.patch_size)
        patches = patches[target_mask].reshape(b, m, -1, c)
        pred = pred.float().reshape(b, m, -1, c)
        if self.norm_pix:
            mean = patches.mean(dim=-2, keepdim=True)
            std = patches.var(dim=-2, unbiased=True, keepdim=True).sqrt()
            pred = pred * (std + self.eps) + mean
        return (pred * self.pixel_scale).reshape(b, m, -1)
