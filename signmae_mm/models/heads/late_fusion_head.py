"""``LateFusionHead``: the weighted average of the streams' class scores."""
from typing import Dict, Mapping, Optional, Sequence, Union

import torch
import torch.nn as nn
from mmaction.registry import MODELS
from mmaction.utils import SampleList
from torch import Tensor

from .base_fusion_head import BaseFusionHead, StreamOutputs

__all__ = ['LateFusionHead']


class _StreamWeights(nn.Module):
    """One buffer per stream, named after it: checkpoint keys ``...stream_weights.<name>``, so
    weights saved for other streams cannot be loaded into the wrong ones."""

    def __init__(self, weights: Mapping[str, float]) -> None:
        super().__init__()
        for name, value in weights.items():
            self.register_buffer(name, torch.tensor(float(value), dtype=torch.float32))

    def vector(self, names: Sequence[str]) -> Tensor:
        """The weights of ``names``, ``(len(names), )``."""
        return torch.stack([getattr(self, name) for name in names])


@MODELS.register_module()
class LateFusionHead(BaseFusionHead):
    """Late fusion: ``sum_i w_i * score_i / sum_i w_i`` over the streams' class scores.

    The streams' scores are their own test's (e.g. softmax probabilities), so the fused score is
    the prediction as it is (no softmax on top). The weights are given (``weights``) or fitted
    on validation score dumps with ``tools/fuse_scores.py``, which writes them as a checkpoint
    of this head (buffers ``fusion_head.stream_weights.<stream>``). It has nothing to train.

    Args:
        num_classes (int): Number of classes.
        streams (Sequence[str]): Stream names, in the recognizer's order.
        weights (Sequence[float] | Mapping[str, float], optional): In stream order or by name;
            non-negative, not all 0, normalised to sum 1. Defaults to equal weights.
        **kwargs: Other arguments of mmaction2's ``BaseHead`` (``topk``, ``init_cfg``).
    """

    #: Kept for code that read ``StreamFusionHead.mode``.
    mode = 'late'

    def __init__(self,
                 num_classes: int,
                 streams: Sequence[str],
                 weights: Optional[Union[Sequence[float], Mapping[str, float]]] = None,
                 **kwargs) -> None:
        super().__init__(num_classes, streams, **kwargs)
        self.stream_weights = _StreamWeights(self._weights_by_name(weights))

    def _weights_by_name(self, weights) -> Dict[str, float]:
        if weights is None:
            values = [1.0] * len(self.streams)
        elif isinstance(weights, Mapping):
            unknown = sorted(set(weights) - set(self.streams))
            missing = [s for s in self.streams if s not in weights]
            if unknown or missing:
                raise ValueError(f'LateFusionHead: weights are for streams {sorted(weights)}, '
                                 f'the streams are {self.streams}')
            values = [float(weights[s]) for s in self.streams]
        else:
            values = [float(w) for w in weights]
            if len(values) != len(self.streams):
                raise ValueError(f'LateFusionHead: {len(values)} weights for '
                                 f'{len(self.streams)} streams {self.streams}')
        if min(values) < 0 or sum(values) <= 0:
            raise ValueError(f'LateFusionHead: weights must be >= 0 and not all 0, got '
                             f'{dict(zip(self.streams, values))}')
        return dict(zip(self.streams, values))

    @property
    def fusion_weights(self) -> Dict[str, float]:
        """The normalised weight of each stream."""
        w = self.stream_weights.vector(self.streams)
        return dict(zip(self.streams, (w / w.sum()).tolist()))

    def forward(self, stream_outputs: StreamOutputs, **kwargs) -> Tensor:
        """Average the streams' scores.

        Args:
            stream_outputs (Mapping[str, Mapping[str, Tensor]]): Per stream ``score``
                ``(N, num_classes)``.

        Returns:
            Tensor: Fused scores ``(N, num_classes)``.
        """
        scores = torch.stack([out['score'] for out in self.stream_outputs(stream_outputs)])
        w = self.stream_weights.vector(self.streams).to(scores)
        return ((w / w.sum()).view(-1, 1, 1) * scores).sum(0)

    def loss(self, feats: StreamOutputs, data_samples: SampleList, **kwargs) -> Dict:
        """Refuse: late fusion has no parameters; its weights are given or fitted.

        Raises:
            RuntimeError: Always, saying how to set the weights.
        """
        raise RuntimeError(
            'LateFusionHead has nothing to train: give its weights in the config, or fit them '
            'on validation score dumps with tools/fuse_scores.py (--save-checkpoint) and test '
            'with that checkpoint; train a LearnedFusionHead instead')

    def predict_by_feat(self, cls_scores: Tensor, data_samples: SampleList) -> SampleList:
        """Set ``pred_score`` (the fused scores as they are) and ``pred_label``.

        Args:
            cls_scores (Tensor): ``(N, num_classes)`` from :meth:`forward`.
            data_samples (list[ActionDataSample]): The batch's samples.

        Returns:
            list[ActionDataSample]: ``data_samples`` with predictions.
        """
        labels = cls_scores.argmax(dim=-1, keepdim=True).detach()
        for data_sample, score, label in zip(data_samples, cls_scores, labels):
            data_sample.set_pred_score(score)
            data_sample.set_pred_label(label)
        return data_samples
