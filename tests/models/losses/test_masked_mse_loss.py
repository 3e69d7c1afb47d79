"""MaskedMSELoss: per-token MSE averaged over the weighted tokens."""
import torch

import signmae_mm  # noqa: F401
from mmaction.registry import MODELS


def test_weighted_mean_over_tokens():
    loss = MODELS.build(dict(type='MaskedMSELoss'))
    pred = torch.zeros(1, 3, 2)
    target = torch.tensor([[[1., 1.], [2., 2.], [3., 3.]]])
    assert loss(pred, target).item() == torch.tensor([1., 4., 9.]).mean().item()
    weight = torch.tensor([[True, False, True]])
    assert loss(pred, target, weight).item() == 5.
    assert loss(pred, target, torch.zeros(1, 3)).item() == 0.


def test_loss_weight_and_gradient():
    loss = MODELS.build(dict(type='MaskedMSELoss', loss_weight=2.))
    pred = torch.zeros(1, 2, 1, requires_grad=True)
    value = loss(pred, torch.ones(1, 2, 1), torch.tensor([[1., 0.]]))
    value.backward()
    assert value.item() == 2.
    assert pred.grad[0, 1, 0] == 0 and pred.grad[0, 0, 0] != 0
