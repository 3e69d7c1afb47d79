"""``StreamFusionHead``: fuse the streams of a multi-stream recognizer (late or learned)."""
from typing import Dict, List, Mapping, Optional, Sequence, Union

import torch
import torch.nn as nn
from mmaction.models.heads import BaseHead
from mmaction.registry import MODELS
from mmaction.utils import SampleList
from mmengine.model.weight_init import normal_init
from torch import Tensor

__all__ = ['StreamFusionHead', 'FUSION_MODES']

#: ``'late'``: weighted average of the streams' class scores; ``'learned'``: a classifier on the
#: concatenated pooled features of the (frozen) streams.
FUSION_MODES = ('late', 'learned')

StreamOutputs = Mapping[str, Mapping[str, Tensor]]


class _StreamWeights(nn.Module):
    """One buffer per stream, named after it: checkpoint keys ``...stream_weights.<name>``, so
    weights saved for other streams cannot be loaded into the wrong ones."""

    def __init__(self, weights: Mapping[str, float]) -> None:
        super().__init__()
        for name, value in weights.items():
            self.register_buffer(name, torch.tensor(float(value), dtype=torch.float32))

    def vector(self, names: Sequence[str]) -> Tensor:
        return torch.stack([getattr(self, name) for name in names])


@MODELS.register_module()
class StreamFusionHead(BaseHead):
    """Fusion head over the streams of :class:`~signmae_mm.models.MultiStreamRecognizer`.

    The recognizer gives, per stream, its pooled features ``feat`` ``(N, C_i)`` and its class
    scores ``score`` ``(N, num_classes)`` (the stream's own head, averaged over clips as its own
    test would, e.g. softmax probabilities with ``average_clips='prob'``).

    * ``mode='late'``: the fused score is the weighted average of the streams' scores,
      ``sum_i w_i * score_i / sum_i w_i``; it is the prediction as it is (no softmax on top).
      The weights are given (``weights``) or fitted on validation score dumps with
      ``tools/fuse_scores.py``, which also writes them as a checkpoint of this head (buffers
      ``fusion_head.stream_weights.<stream>``). Nothing to train: ``loss`` raises.
    * ``mode='learned'``: per-stream LayerNorm (``feat_norm``), concatenation, dropout and a
      linear classifier, trained with ``loss_cls`` on top of the frozen streams; predictions
      are its logits averaged as ``average_clips`` says (softmax for ``'prob'``).

    Args:
        num_classes (int): Number of classes.
        streams (Sequence[str]): Stream names, in the recognizer's order.
        mode (str): ``'late'`` or ``'learned'``. Defaults to ``'late'``.
        weights (Sequence[float] | Mapping[str, float], optional): Late-fusion weights, in
            stream order or by name (non-negative, not all 0; normalised to sum 1). Defaults to
            equal weights.
        in_channels (int | Sequence[int]): Learned mode: the pooled feature width of each
            stream (the recognizer fills it in from the streams); ignored in late mode.
            Defaults to 0.
        feat_norm (bool): Learned mode: LayerNorm each stream's features before concatenating
            (their scales differ). Defaults to True.
        dropout_ratio (float): Learned mode: dropout before the classifier. Defaults to 0.5.
        init_std (float): Std of the classifier's initial weights. Defaults to 0.01.
        loss_cls (dict): Learned mode: loss config. Defaults to ``CrossEntropyLoss``.
        average_clips (str, optional): Learned mode: ``'prob'`` (softmax), ``'score'`` or None.
            Defaults to ``'prob'``.
        **kwargs: Other arguments of mmaction2's ``BaseHead`` (``label_smooth_eps``, ``topk``,
            ``init_cfg``).
    """

    def __init__(self,
                 num_classes: int,
                 streams: Sequence[str],
                 mode: str = 'late',
                 weights: Optional[Union[Sequence[float], Mapping[str, float]]] = None,
                 in_channels: Union[int, Sequence[int]] = 0,
                 feat_norm: bool = True,
                 dropout_ratio: float = 0.5,
                 init_std: float = 0.01,
                 loss_cls: dict = dict(type='CrossEntropyLoss'),
                 average_clips: Optional[str] = 'prob',
                 **kwargs) -> None:
        if mode not in FUSION_MODES:
            raise ValueError(f'StreamFusionHead: mode must be one of {FUSION_MODES}, got {mode!r}')
        streams = [str(s) for s in streams]
        if not streams or len(set(streams)) != len(streams):
            raise ValueError(f'StreamFusionHead: stream names must be distinct, got {streams}')
        bad = [s for s in streams if not s.isidentifier()]
        if bad:
            raise ValueError(f'StreamFusionHead: stream names must be identifiers, got {bad}')
        channels = [int(in_channels)] * len(streams) if isinstance(in_channels, int) else [
            int(c) for c in in_channels
        ]
        if len(channels) != len(streams):
            raise ValueError(f'StreamFusionHead: {len(channels)} in_channels for '
                             f'{len(streams)} streams {streams}')
        super().__init__(num_classes, sum(channels), loss_cls=loss_cls,
                         average_clips=average_clips, **kwargs)
        self.mode = mode
        self.streams = streams
        self.stream_channels = channels
        self.init_std = init_std
        if mode == 'late':
            self.stream_weights = _StreamWeights(self._weights_by_name(weights))
        else:
            if weights is not None:
                raise ValueError('StreamFusionHead: weights are for mode="late"; the learned '
                                 'head learns its own')
            if min(channels) <= 0:
                raise ValueError(f'StreamFusionHead: mode="learned" needs the feature width of '
                                 f'every stream, got in_channels={channels}')
            self.norms = nn.ModuleList(
                nn.LayerNorm(c) if feat_norm else nn.Identity() for c in channels)
            self.dropout = nn.Dropout(p=dropout_ratio) if dropout_ratio > 0 else nn.Identity()
            self.fc_cls = nn.Linear(sum(channels), num_classes)

    def _weights_by_name(self, weights) -> Dict[str, float]:
        if weights is None:
            values = [1.0] * len(self.streams)
        elif isinstance(weights, Mapping):
            unknown = sorted(set(weights) - set(self.streams))
            missing = [s for s in self.streams if s not in weights]
            if unknown or missing:
                raise ValueError(f'StreamFusionHead: weights are for streams {sorted(weights)}, '
                                 f'the streams are {self.streams}')
            values = [float(weights[s]) for s in self.streams]
        else:
            values = [float(w) for w in weights]
            if len(values) != len(self.streams):
                raise ValueError(f'StreamFusionHead: {len(values)} weights for '
                                 f'{len(self.streams)} streams {self.streams}')
        if min(values) < 0 or sum(values) <= 0:
            raise ValueError(f'StreamFusionHead: weights must be >= 0 and not all 0, got '
                             f'{dict(zip(self.streams, values))}')
        return dict(zip(self.streams, values))

    def init_weights(self) -> None:
        """Initialise the classifier of the learned mode."""
        if self.mode == 'learned':
            normal_init(self.fc_cls, std=self.init_std)

    @property
    def fusion_weights(self) -> Dict[str, float]:
        """Late mode: the normalised weight of each stream."""
        if self.mode != 'late':
            raise AttributeError('fusion_weights exist in mode="late" only')
        w = self.stream_weights.vector(self.streams)
        return dict(zip(self.streams, (w / w.sum()).tolist()))

    def forward(self, stream_outputs: StreamOutputs, **kwargs) -> Tensor:
        """Fuse the streams.

        Args:
            stream_outputs (Mapping[str, Mapping[str, Tensor]]): Per stream ``feat``
                ``(N, C_i)`` (learned mode) and ``score`` ``(N, num_classes)`` (late mode).

        Returns:
            Tensor: ``(N, num_classes)``: fused scores (late) or logits (learned).
        """
        missing = [s for s in self.streams if s not in stream_outputs]
        if missing:
            raise KeyError(f'StreamFusionHead: no outputs for streams {missing}')
        if self.mode == 'late':
            scores = torch.stack([stream_outputs[s]['score'] for s in self.streams])
            w = self.stream_weights.vector(self.streams).to(scores)
            w = w / w.sum()
            return (w.view(-1, 1, 1) * scores).sum(0)
        feats: List[Tensor] = []
        for name, norm, width in zip(self.streams, self.norms, self.stream_channels):
            feat = stream_outputs[name]['feat']
            if feat.dim() != 2 or feat.shape[1] != width:
                raise ValueError(f'StreamFusionHead: stream {name!r} gives features '
                                 f'{tuple(feat.shape)}, expected (N, {width})')
            feats.append(norm(feat))
        return self.fc_cls(self.dropout(torch.cat(feats, dim=1)))

    def loss(self, feats: StreamOutputs, data_samples: SampleList, **kwargs) -> Dict:
        """Learned mode: classification loss of the fused logits.

        Args:
            feats (Mapping[str, Mapping[str, Tensor]]): Stream outputs (see :meth:`forward`).
            data_samples (list[ActionDataSample]): Samples with ``gt_label``.

        Returns:
            dict: ``loss_cls`` and top-k accuracies.
        """
        if self.mode == 'late':
            raise RuntimeError(
                'StreamFusionHead(mode="late") has nothing to train: give its weights in the '
                'config, or fit them on validation score dumps with tools/fuse_scores.py '
                '(--save-checkpoint) and test with that checkpoint; train mode="learned" instead')
        return self.loss_by_feat(self(feats), data_samples)

    def predict_by_feat(self, cls_scores: Tensor, data_samples: SampleList) -> SampleList:
        """Set ``pred_score`` / ``pred_label``: late scores as they are, learned logits through
        ``average_clip`` (softmax for ``average_clips='prob'``).

        Args:
            cls_scores (Tensor): ``(N, num_classes)`` from :meth:`forward`.
            data_samples (list[ActionDataSample]): The batch's samples.

        Returns:
            list[ActionDataSample]: ``data_samples`` with predictions.
        """
        if self.mode == 'learned':
            return super().predict_by_feat(cls_scores, data_samples)
        labels = cls_scores.argmax(dim=-1, keepdim=True).detach()
        for data_sample, score, label in zip(data_samples, cls_scores, labels):
            data_sample.set_pred_score(score)
            data_sample.set_pred_label(label)
        return data_samples
