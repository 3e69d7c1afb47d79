"""What one pretraining forward pass hands to the loss heads of :class:`VideoMAEPretrainer`."""
from dataclasses import dataclass
from typing import Optional

from torch import Tensor

__all__ = ['MAEOutputs', 'DECODER_OUTPUTS']

#: The fields of :class:`MAEOutputs` that the decoder computes only for a head that reads them.
DECODER_OUTPUTS = ('decoded', 'pred')


@dataclass(eq=False)
class MAEOutputs:
    """The encoder's and decoder's outputs of a batch, with the clips and masks they came from.

    Every head of :class:`~signmae_mm.models.VideoMAEPretrainer` receives the same object and
    reads what its target needs: the pixel head the decoder's pixel predictions (``pred``), a
    head with its own output projection the decoded tokens (``decoded``), a head on the
    representation the encoder's tokens (``latent``). Tokens are in (t, h, w) order. The
    decoder fills ``decoded`` and ``pred`` only when a head reads them (its ``reads``), so
    that no parameter is left without gradient (DDP) and the decoder's own pixel projection
    runs where it always ran (inside the decoder's forward, e.g. under CPU autocast).

    Args:
        video (Tensor): ``(B, C, T, H, W)`` clips as the model saw them (normalised).
        pixels (Tensor): ``(B, C, T, H, W)`` float32 clips in pixel values (the data
            preprocessor's normalisation undone).
        mask (Tensor): ``(B, N)`` bool encoder mask, True = masked (checked).
        target_mask (Tensor): ``(B, N)`` bool, the positions the decoder reconstructed: ``mask``
            itself, or VideoMAE V2's running-cell pattern under dual masking (training only).
        latent (Tensor): ``(B, N_visible, C_enc)`` encoder tokens of the visible positions.
        decoded (Tensor, optional): ``(B, M, C_dec)`` decoder tokens at ``target_mask`` after
            its last norm, before its pixel projection.
        pred (Tensor, optional): ``(B, M, D)`` the decoder's pixel predictions at
            ``target_mask``.
    """

    video: Tensor
    pixels: Tensor
    mask: Tensor
    target_mask: Tensor
    latent: Tensor
    decoded: Optional[Tensor] = None
    pred: Optional[Tensor] = None
