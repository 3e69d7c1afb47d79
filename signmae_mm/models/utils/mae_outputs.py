"""What one pretraining forward pass hands to the loss heads of :class:`VideoMAEPretrainer`."""
from dataclasses import dataclass, field
from typing import Callable, Optional

from torch import Tensor

__all__ = ['MAEOutputs']


@dataclass(eq=False)
class MAEOutputs:
    """The encoder's and decoder's outputs of a batch, with the clips and masks they came from.

    Every head of :class:`~signmae_mm.models.VideoMAEPretrainer` receives the same object and
    reads what its target needs: the pixel head the decoder's pixel predictions (:attr:`pred`),
    a head with its own output projection the decoded tokens (:attr:`decoded`), a head on the
    representation the encoder's tokens (:attr:`latent`). Tokens are in (t, h, w) order.

    Args:
        video (Tensor): ``(B, C, T, H, W)`` clips as the model saw them (normalised).
        pixels (Tensor): ``(B, C, T, H, W)`` float32 clips in pixel values (the data
            preprocessor's normalisation undone).
        mask (Tensor): ``(B, N)`` bool encoder mask, True = masked (checked).
        target_mask (Tensor): ``(B, N)`` bool, the positions the decoder reconstructed: ``mask``
            itself, or VideoMAE V2's running-cell pattern under dual masking (training only).
        latent (Tensor): ``(B, N_visible, C_enc)`` encoder tokens of the visible positions.
        decoded (Tensor, optional): ``(B, M, C_dec)`` decoder tokens at ``target_mask`` after
            its last norm, before its pixel projection; None if the neck has no ``decode``.
        project (Callable, optional): The decoder's pixel projection, ``decoded -> pred``.

    Attributes:
        pred (Tensor): ``(B, M, D)`` the decoder's pixel predictions. Computed from ``decoded``
            by ``project`` on first access unless set (by a neck without ``decode``), so that a
            model without a head that reads it neither runs that projection nor leaves its
            parameters without gradient.
    """

    video: Tensor
    pixels: Tensor
    mask: Tensor
    target_mask: Tensor
    latent: Tensor
    decoded: Optional[Tensor] = None
    project: Optional[Callable[[Tensor], Tensor]] = field(default=None, repr=False)
    _pred: Optional[Tensor] = field(default=None, init=False, repr=False)

    @property
    def pred(self) -> Tensor:
        """``(B, M, D)`` decoder pixel predictions at ``target_mask``."""
        if self._pred is None:
            if self.project is None or self.decoded is None:
                raise AttributeError('MAEOutputs holds neither pixel predictions nor decoded '
                                     'tokens with a projection')
            self._pred = self.project(self.decoded)
        return self._pred

    @pred.setter
    def pred(self, value: Tensor) -> None:
        self._pred = value
