"""Mean squared error over tokens, with a per-token weight (e.g. the encoder mask)."""
from typing import Optional

from mmaction.models.losses.base import BaseWeightedLoss
from mmaction.registry import MODELS
from torch import Tensor

__all__ = ['MaskedMSELoss']


@MODELS.register_module()
class MaskedMSELoss(BaseWeightedLoss):
    """MSE per token (mean over its values), averaged over the tokens with weight.

    Args:
        loss_weight (float): Factor on the loss. Defaults to 1.
    """

    def _forward(self, pred: Tensor, target: Tensor, weight: Optional[Tensor] = None) -> Tensor:
        """Compute the loss in float32.

        Args:
            pred (Tensor): ``(B, M, D)`` predictions.
            target (Tensor): ``(B, M, D)`` targets.
            weight (Tensor, optional): ``(B, M)`` per-token weights (bool or float); None
                weighs every token 1.

        Returns:
            Tensor: Scalar loss; 0 (with a gradient path) when every weight is 0.
        """
        per_token = (pred.float() - target.float()).pow(2).mean(dim=-1)
        if weight is None:
            return per_token.mean()
        weight = weight.to(per_token.dtype)
        return (per_token * weight).sum() / weight.sum().clamp(min=1.)
