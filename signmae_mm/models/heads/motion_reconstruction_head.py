"""A motion target for masked video pretraining: the masked tubelets' temporal difference."""
from typing import List, Optional, Union

import torch
from mmaction.registry import MODELS
from mmaction.utils import ConfigType, SampleList
from torch import Tensor, nn

from ..utils.mae_outputs import MAEOutputs
from ..utils.tokens import token_grid
from .pixel_reconstruction_head import PixelReconstructionHead

__all__ = ['MotionReconstructionHead']

_PADDINGS = ('crop', 'zero')


@MODELS.register_module()
class MotionReconstructionHead(PixelReconstructionHead):
    """Predicts the masked tubelets' temporal difference at lag ``k`` from the decoded tokens.

    Target (after MASA's motion target ``m_i = x_{i+k} - x_i``): for every frame ``t`` of the
    clip in pixel values, ``(x[t + lag] - x[t]) / pixel_scale``, cut into the same
    ``tubelet x patch x patch`` tokens as :class:`PixelReconstructionHead`'s target (layout
    ``(pt, ph, pw, C)``) and, with ``norm_pix``, normalised in the same way (per token and
    channel: ``(m - mean) / (unbiased std + eps)``). The loss (default :class:`MaskedMSELoss`)
    counts the tokens that the encoder masked, as the pixel target does.

    The last ``lag`` frames have no frame ``lag`` later. ``padding='crop'`` (default) leaves
    out of the loss every token holding such a frame: with 16 frames, tubelets of 2 and lag 3
    the last two of 8 time slots; with 8 frames, tubelets of 4 and lag 3 the second of 2.
    ``padding='zero'`` counts them, their missing differences taken as 0 (a still end).

    Prediction: the decoder's ``head`` predicts pixels, so this head has its own linear,
    ``predictor``, from the same decoded tokens (``outputs.decoded``, the decoder's normed
    output, ``in_channels`` wide) to one tubelet of motion. Its parameters are
    ``heads.<i>.predictor.*`` in the pretrainer's state dict.

    Departures from MASA: MASA's motion is that of skeleton keypoints; here it is of the RGB
    pixels of the masked tubelets, in the pixel target's token space and normalisation, and
    the lag counts frames of the sampled clip (``frame_interval`` source frames each).

    Args:
        lag (int): ``k``, in frames of the clip. Defaults to 3 (MASA).
        padding (str): ``'crop'`` or ``'zero'``, the end of the clip (above). Defaults to
            ``'crop'``.
        in_channels (int): Width of the decoded tokens (the decoder's ``embed_dims``; the
            pretrainer sets it from its neck). Defaults to 384.
        out_channels (int): Pixel channels of the clip. Defaults to 3.
        patch_size (int): Token side in pixels. Defaults to 16.
        tubelet_size (int): Frames per token. Defaults to 2.
        norm_pix (bool): Per-token normalised target. Defaults to True.
        eps (float): Added to the std of a token. Defaults to 1e-6.
        pixel_scale (float): Pixel value of full intensity. Defaults to 255.
        loss (dict): Loss config. Defaults to ``dict(type='MaskedMSELoss')``.
        loss_weight (float): Factor on the loss. Defaults to 1.
        loss_name (str): Key of the loss; the floor is ``floor_motion``. Defaults to
            ``'loss_motion'``.
        init_cfg (dict | list[dict], optional): Defaults to VideoMAE's decoder head init
            (Xavier-uniform, zero bias).
    """

    reads = ('decoded', )

    def __init__(self,
                 lag: int = 3,
                 padding: str = 'crop',
                 in_channels: int = 384,
                 out_channels: int = 3,
                 patch_size: int = 16,
                 tubelet_size: int = 2,
                 norm_pix: bool = True,
                 eps: float = 1e-6,
                 pixel_scale: float = 255.,
                 loss: ConfigType = dict(type='MaskedMSELoss'),
                 loss_weight: float = 1.,
                 loss_name: str = 'loss_motion',
                 init_cfg: Optional[Union[dict, List[dict]]] = dict(
                     type='Xavier', layer='Linear', distribution='uniform', bias=0.)) -> None:
        super().__init__(
            patch_size=patch_size,
            tubelet_size=tubelet_size,
            norm_pix=norm_pix,
            eps=eps,
            pixel_scale=pixel_scale,
            loss=loss,
            loss_weight=loss_weight,
            loss_name=loss_name,
            init_cfg=init_cfg)
        if int(lag) != lag or lag < 1:
            raise ValueError(f'lag must be a positive number of frames, got {lag!r}')
        if padding not in _PADDINGS:
            raise ValueError(f'padding must be one of {_PADDINGS}, got {padding!r}')
        self.lag = int(lag)
        self.padding = padding
        self.predictor = nn.Linear(in_channels, out_channels * tubelet_size * patch_size**2)

    def target_frames(self, video: Tensor) -> Tensor:
        """``(x[t + lag] - x[t]) / pixel_scale`` per frame, 0 where ``t + lag`` is past the end.

        Args:
            video (Tensor): ``(B, C, T, H, W)`` clip in pixel values.

        Returns:
            Tensor: ``(B, C, T, H, W)`` float32 differences in ``[-1, 1]``.
        """
        frames = video.float() / self.pixel_scale
        motion = torch.zeros_like(frames)
        if self.lag < frames.shape[2]:
            motion[:, :, :-self.lag] = frames[:, :, self.lag:] - frames[:, :, :-self.lag]
        return motion

    def valid_tokens(self, video: Tensor) -> Optional[Tensor]:
        """``(N,)`` bool: with ``padding='crop'``, the tokens whose frames all have a partner.

        Raises:
            ValueError: ``padding='crop'`` and no token of the clip has a target.
        """
        if self.padding != 'crop':
            return None
        gt, gh, gw = token_grid(video.shape[2:], self.tubelet_size, self.patch_size)
        num_frames = video.shape[2]
        # Time slot s holds frames s*pt .. (s+1)*pt - 1; its last needs frame (s+1)*pt-1+lag.
        slot_ends = (torch.arange(gt, device=video.device) + 1) * self.tubelet_size
        valid = slot_ends + self.lag <= num_frames
        if not bool(valid.any()):
            raise ValueError(f'lag {self.lag} leaves no token of a {num_frames}-frame clip in '
                             f'tubelets of {self.tubelet_size} with a motion target; use a '
                             "smaller lag or padding='zero'")
        return valid.repeat_interleave(gh * gw)

    def prediction(self, outputs: MAEOutputs) -> Tensor:
        """``predictor(outputs.decoded)``: ``(B, M, tubelet * patch * patch * C)``."""
        if outputs.decoded is None:
            raise ValueError('MotionReconstructionHead reads the decoded tokens, but the '
                             "outputs hold none (the pretrainer's neck must return them: "
                             "VideoMAEDecoder's output='tokens')")
        return self.predictor(outputs.decoded)

    def predict(self, outputs: MAEOutputs, data_samples: SampleList) -> None:
        """Attach the clip's unweighted motion loss under ``loss_name`` (``loss_motion``)."""
        per_clip = self.per_clip_loss(
            self.prediction(outputs), outputs.pixels, outputs.mask, outputs.target_mask)
        for sample, loss in zip(data_samples, per_clip):
            sample.set_field(loss, self.loss_name)

    def unpatchify_prediction(self, pred: Tensor, video: Tensor,
                              target_mask: Tensor) -> Tensor:
        """Not defined: motion tokens have no pixel statistics to undo the normalisation."""
        raise NotImplementedError('MotionReconstructionHead predicts normalised motion, not '
                                  'pixels')
