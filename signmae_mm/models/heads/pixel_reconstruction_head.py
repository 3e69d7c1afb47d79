"""VideoMAE's reconstruction target and loss: per-tubelet normalised pixels, masked tokens only."""
from typing import Dict, Optional, Tuple

import torch
from mmaction.registry import MODELS
from mmaction.utils import ConfigType, SampleList
from torch import Tensor

from ..utils.mae_outputs import MAEOutputs
from ..utils.tokens import patchify
from .base_mae_head import BaseMAEHead

__all__ = ['PixelReconstructionHead']


@MODELS.register_module()
class PixelReconstructionHead(BaseMAEHead):
    """Builds VideoMAE's pixel target and applies the loss on the masked tokens.

    As a :class:`BaseMAEHead` it reads the decoder's pixel predictions (``outputs.pred``).

    Target (VideoMAE): the clip in pixel values (the data preprocessor's normalisation undone,
    divided by ``pixel_scale`` to [0, 1]), cut into ``tubelet x patch x patch`` tubelets laid out
    ``(pt, ph, pw, C)``. With ``norm_pix=True`` each tubelet is normalised per channel over its
    ``tubelet * patch * patch`` pixels: ``(x - mean) / (unbiased std + eps)``.

    Only tokens that the encoder masked count: the loss is weighted by the encoder mask at the
    reconstructed positions (with dual masking the decoder also reconstructs some visible
    positions, which get weight 0).

    Beside ``loss_rec`` it reports ``floor_rec``, the loss of the trivial predictor that knows
    each masked tubelet's mean colour (:meth:`mean_predictor_loss`): a model whose ``loss_rec``
    stays above it predicts the masked content no better than a flat patch of the right colour.
    (The keys follow ``loss_name``: ``loss_x`` and ``floor_x``.)

    Args:
        patch_size (int): Token side in pixels. Defaults to 16.
        tubelet_size (int): Frames per token. Defaults to 2.
        norm_pix (bool): Per-tubelet normalised target (True) or plain pixels. Defaults to True.
        eps (float): Added to the std of a tubelet. Defaults to 1e-6.
        pixel_scale (float): Pixel value of full intensity; the un-normalised clip is divided
            by it. Defaults to 255 (mmaction2's uint8 frames).
        loss (dict): Loss config, called as ``loss(pred, target, weight)``. Defaults to
            ``dict(type='MaskedMSELoss')``.
        loss_weight (float): Factor on the logged loss and its floor. Defaults to 1.
        loss_name (str): Key of the loss. Defaults to ``'loss_rec'``.
        init_cfg (dict, optional): Unused (no parameters).
    """

    reads = ('pred', )

    def __init__(self,
                 patch_size: int = 16,
                 tubelet_size: int = 2,
                 norm_pix: bool = True,
                 eps: float = 1e-6,
                 pixel_scale: float = 255.,
                 loss: ConfigType = dict(type='MaskedMSELoss'),
                 loss_weight: float = 1.,
                 loss_name: str = 'loss_rec',
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(loss_weight=loss_weight, loss_name=loss_name, init_cfg=init_cfg)
        self.patch_size = patch_size
        self.tubelet_size = tubelet_size
        self.norm_pix = norm_pix
        self.eps = eps
        self.pixel_scale = pixel_scale
        self.loss_module = MODELS.build(loss)

    @property
    def floor_name(self) -> str:
        """Key of the mean-predictor floor: ``loss_name`` with ``loss`` -> ``floor``."""
        return 'floor' + self.loss_name[len('loss'):]

    def target_frames(self, video: Tensor) -> Tensor:
        """The frames the target is cut from: the clip in ``[0, 1]`` (``/ pixel_scale``).

        Args:
            video (Tensor): ``(B, C, T, H, W)`` clip in pixel values.

        Returns:
            Tensor: ``(B, C, T, H, W)`` float32.
        """
        return video.float() / self.pixel_scale

    def valid_tokens(self, video: Tensor) -> Optional[Tensor]:
        """``(N,)`` bool, the tokens that have a target; None: all of them.

        Args:
            video (Tensor): ``(B, C, T, H, W)`` clip.
        """
        return None

    def prediction(self, outputs: MAEOutputs) -> Tensor:
        """The head's predictions at ``outputs.target_mask``: the decoder's pixels.

        Args:
            outputs (MAEOutputs): The pretrainer's outputs.

        Returns:
            Tensor: ``(B, M, tubelet * patch * patch * C)``.
        """
        if outputs.pred is None:
            raise ValueError(f"{type(self).__name__} reads the decoder's pixel predictions, "
                             'but the outputs hold none')
        return outputs.pred

    @torch.no_grad()
    def construct_target(self, video: Tensor) -> Tensor:
        """Reconstruction target of every token.

        Args:
            video (Tensor): ``(B, C, T, H, W)`` clip in pixel values (not normalised).

        Returns:
            Tensor: ``(B, N, tubelet * patch * patch * C)`` float32 target.
        """
        frames = self.target_frames(video)
        if not self.norm_pix:
            return patchify(frames, self.tubelet_size, self.patch_size)
        # Statistics over a contiguous last axis, (C, pt, ph, pw) per token, then VideoMAE's
        # (pt, ph, pw, C) layout: 2.5x faster on a CPU than reducing the strided pixel axis.
        patches = patchify(frames, self.tubelet_size, self.patch_size, channel_last=False)
        b, n, _ = patches.shape
        patches = patches.reshape(b, n, video.shape[1], -1)  # (B, N, C, pt*ph*pw)
        var, mean = torch.var_mean(patches, dim=-1, unbiased=True, keepdim=True)
        patches = (patches - mean) / (var.sqrt() + self.eps)
        return patches.transpose(-1, -2).reshape(b, n, -1)

    def loss(self, outputs: MAEOutputs,
             data_samples: Optional[SampleList] = None) -> Dict[str, Tensor]:
        """:meth:`loss_by_feat` of :meth:`prediction` against the target of ``outputs.pixels``.

        Args:
            outputs (MAEOutputs): The pretrainer's outputs of the batch.
            data_samples (list[ActionDataSample], optional): Unused.

        Returns:
            dict[str, Tensor]: See :meth:`loss_by_feat`.
        """
        return self.loss_by_feat(self.prediction(outputs), outputs.pixels, outputs.mask,
                                 outputs.target_mask)

    def loss_by_feat(self,
                     pred: Tensor,
                     video: Tensor,
                     mask: Tensor,
                     target_mask: Optional[Tensor] = None) -> Dict[str, Tensor]:
        """Reconstruction loss on the masked tokens, and its mean-predictor floor.

        Args:
            pred (Tensor): ``(B, M, D)`` decoder predictions for the positions where
                ``target_mask`` is True, in (t, h, w) order.
            video (Tensor): ``(B, C, T, H, W)`` clip in pixel values.
            mask (Tensor): ``(B, N)`` bool encoder mask, True = masked.
            target_mask (Tensor, optional): ``(B, N)`` bool, the decoder's reconstructed
                positions. Defaults to ``mask``.

        Returns:
            dict[str, Tensor]: ``loss_rec`` (optimised; ``loss_name``) and ``floor_rec``: the
            loss of predicting every masked tubelet by its own per-channel mean (see
            :meth:`mean_predictor_loss`), without gradient. Its key holds no ``'loss'``, so
            mmengine's ``parse_losses`` logs it beside ``loss_rec`` but does not add it to the
            optimised total. Both are multiplied by ``loss_weight``.
        """
        target, weight = self._target_and_weight(video, mask, target_mask)
        if pred.shape != target.shape:
            # The loss would broadcast a size-1 dimension without any error.
            raise ValueError(f'prediction {tuple(pred.shape)} does not fit the target '
                             f'{tuple(target.shape)} of the masked tokens')
        with torch.no_grad():
            floor = self.loss_module(self._tubelet_means(target, video.shape[1]), target, weight)
        loss = self.loss_module(pred, target, weight)
        if self.loss_weight != 1:
            loss, floor = loss * self.loss_weight, floor * self.loss_weight
        return {self.loss_name: loss, self.floor_name: floor.detach()}

    def predict(self, outputs: MAEOutputs, data_samples: SampleList) -> None:
        """Attach ``pred_pixels`` ``(M, D)`` (the masked tubelets' reconstructed pixel values,
        :meth:`unpatchify_prediction`) and the clip's unweighted loss under ``loss_name``."""
        pred = self.prediction(outputs)
        per_clip = self.per_clip_loss(pred, outputs.pixels, outputs.mask, outputs.target_mask)
        recon = self.unpatchify_prediction(pred, outputs.pixels, outputs.target_mask)
        for sample, rec, loss in zip(data_samples, recon, per_clip):
            sample.set_field(rec, 'pred_pixels')
            sample.set_field(loss, self.loss_name)

    @torch.no_grad()
    def per_clip_loss(self,
                      pred: Tensor,
                      video: Tensor,
                      mask: Tensor,
                      target_mask: Optional[Tensor] = None) -> Tensor:
        """Each clip's squared error over its counted tokens (no ``loss_weight``).

        Args:
            pred (Tensor): ``(B, M, D)`` predictions at ``target_mask``.
            video (Tensor): ``(B, C, T, H, W)`` clip in pixel values.
            mask (Tensor): ``(B, N)`` bool encoder mask, True = masked.
            target_mask (Tensor, optional): ``(B, N)`` bool. Defaults to ``mask``.

        Returns:
            Tensor: ``(B,)`` float32; 0 for a clip without counted tokens.
        """
        target, weight = self._target_and_weight(video, mask, target_mask)
        squares = (pred.float() - target).pow(2)
        if bool(weight.all()):
            return squares.mean(dim=(1, 2))  # one reduction, as before weights existed
        per_token = squares.mean(dim=-1)
        weight = weight.to(per_token.dtype)
        return (per_token * weight).sum(dim=1) / weight.sum(dim=1).clamp(min=1.)

    def _target_and_weight(self, video: Tensor, mask: Tensor,
                           target_mask: Optional[Tensor]) -> Tuple[Tensor, Tensor]:
        """The target ``(B, M, D)`` at ``target_mask`` and its token weights ``(B, M)``."""
        if target_mask is None:
            target_mask = mask
        valid = self.valid_tokens(video)
        if valid is not None:
            mask = mask & valid.to(mask.device)
        return self._select(self.construct_target(video), mask, target_mask)

    @torch.no_grad()
    def mean_predictor_loss(self,
                            video: Tensor,
                            mask: Tensor,
                            target_mask: Optional[Tensor] = None) -> Tensor:
        """The loss of predicting each masked tubelet by its own per-channel mean.

        A reference for ``loss_rec``: a model that knows the colour of every hidden tubelet but
        nothing of its content reaches this loss. With ``norm_pix`` the mean is 0 in the
        normalised target, and the floor is ``(n - 1) / n`` per non-flat tubelet of ``n`` pixels
        (the biased over the unbiased variance; flat tubelets give 0); without it, the floor
        is the tubelets' (biased) per-channel variance in ``pixel / pixel_scale`` units. The
        tokens and weights are those of :meth:`loss`, through the same loss module.

        Args:
            video (Tensor): ``(B, C, T, H, W)`` clip in pixel values.
            mask (Tensor): ``(B, N)`` bool encoder mask, True = masked.
            target_mask (Tensor, optional): ``(B, N)`` bool, the decoder's reconstructed
                positions. Defaults to ``mask``.

        Returns:
            Tensor: Scalar loss (float32).
        """
        target, weight = self._target_and_weight(video, mask, target_mask)
        return self.loss_module(self._tubelet_means(target, video.shape[1]), target, weight)

    @staticmethod
    def _select(target: Tensor, mask: Tensor, target_mask: Tensor) -> Tuple[Tensor, Tensor]:
        """The target at ``target_mask`` ``(B, M, D)`` and its weights ``(B, M)`` (``mask``)."""
        b, d = target.shape[0], target.shape[-1]
        # Boolean selection keeps the (t, h, w) order, the decoder's output order; every row
        # holds the same count (VideoMAEPretrainer.check_masks).
        return target[target_mask].reshape(b, -1, d), mask[target_mask].reshape(b, -1)

    @staticmethod
    def _tubelet_means(target: Tensor, channels: int) -> Tensor:
        """Each token's per-channel mean over its pixels, broadcast back to ``(B, M, D)``."""
        b, m, d = target.shape
        per_channel = target.reshape(b, m, -1, channels)  # (pt, ph, pw, C) layout per token
        return per_channel.mean(dim=2, keepdim=True).expand_as(per_channel).reshape(b, m, d)

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
