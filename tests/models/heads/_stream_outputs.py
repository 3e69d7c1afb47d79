"""Stream outputs as ``MultiStreamRecognizer.extract_feat`` gives them, for the fusion heads."""
from typing import Dict, Sequence

import torch
from mmaction.registry import MODELS
from mmengine.registry import init_default_scope

import signmae_mm  # noqa: F401

STREAMS = ['rgb_handarm', 'rgb_tube', 'heatmap']


def stream_outputs(n: int = 5, k: int = 7, widths: Sequence[int] = (8, 8, 4),
                   seed: int = 0) -> Dict[str, Dict[str, torch.Tensor]]:
    """Per stream: ``score`` ``(n, k)`` (probabilities) and ``feat`` ``(n, width)``."""
    g = torch.Generator().manual_seed(seed)
    return {
        name: dict(score=torch.softmax(torch.randn(n, k, generator=g) * 3, dim=1),
                   feat=torch.randn(n, c, generator=g))
        for name, c in zip(STREAMS, widths)
    }


def build_head(type: str, **kwargs):
    """A fusion head over :data:`STREAMS`, 7 classes."""
    init_default_scope('mmaction')  # earlier tests may have left another scope
    return MODELS.build(dict(dict(type=type, num_classes=7, streams=STREAMS), **kwargs))
