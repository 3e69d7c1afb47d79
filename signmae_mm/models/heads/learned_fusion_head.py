"""``LearnedFusionHead``: a classifier on the concatenated features of the frozen streams."""
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

import torch
import torch.nn as nn
from mmaction.registry import MODELS
from mmaction.utils import SampleList
from mmengine.model.weight_init import normal_init
from torch import Tensor

from .base_fusion_head import BaseFusionHead, StreamOutputs

__all__ = ['LearnedFusionHead']


@MODELS.register_module()
class LearnedFusionHead(BaseFusionHead):
    """Learned fusion: per-stream LayerNorm, concatenation, dropout and a linear classifier,
    trained with ``loss_cls`` on the pooled features of the frozen streams.

    The streams' features are concatenated in the order of ``streams``: checkpoint keys
    (``norms.<i>``, the columns of ``fc_cls``) are by position. So the state dict also records
    that order (``_extra_state``), and loading weights trained with the streams in another order
    fails, naming both orders, instead of silently mixing the streams up (a config rebuilt from
    a checkpoint's stored text, whose dict keys mmengine sorts, lists them alphabetically).
    Checkpoints written before the order was recorded load unchecked. Predictions are the
    logits averaged as ``average_clips`` says (softmax for ``'prob'``).

    Args:
        num_classes (int): Number of classes.
        streams (Sequence[str]): Stream names, in the recognizer's order.
        in_channels (int | Sequence[int]): The pooled feature width of each stream (the
            recognizer fills it in from the streams).
        feat_norm (bool): LayerNorm each stream's features before concatenating (their scales
            differ). Defaults to True.
        dropout_ratio (float): Dropout before the classifier. Defaults to 0.5.
        init_std (float): Std of the classifier's initial weights. Defaults to 0.01.
        loss_cls (dict): Loss config. Defaults to ``CrossEntropyLoss``.
        average_clips (str, optional): ``'prob'`` (softmax), ``'score'`` or None. Defaults to
            ``'prob'``.
        **kwargs: Other arguments of mmaction2's ``BaseHead`` (``label_smooth_eps``, ``topk``,
            ``init_cfg``).
    """

    uses_features = True
    #: Kept for code that read ``StreamFusionHead.mode``.
    mode = 'learned'

    def __init__(self,
                 num_classes: int,
                 streams: Sequence[str],
                 in_channels: Union[int, Sequence[int]],
                 feat_norm: bool = True,
                 dropout_ratio: float = 0.5,
                 init_std: float = 0.01,
                 loss_cls: dict = dict(type='CrossEntropyLoss'),
                 average_clips: Optional[str] = 'prob',
                 **kwargs) -> None:
        count = len(streams)
        channels = [int(in_channels)] * count if isinstance(in_channels, int) else [
            int(c) for c in in_channels
        ]
        if len(channels) != count:
            raise ValueError(f'LearnedFusionHead: {len(channels)} in_channels for {count} '
                             f'streams {list(streams)}')
        if not channels or min(channels) <= 0:
            raise ValueError(f'LearnedFusionHead: needs the feature width of every stream, '
                             f'got in_channels={channels}')
        super().__init__(num_classes, streams, sum(channels), loss_cls=loss_cls,
                         average_clips=average_clips, **kwargs)
        self.stream_channels = channels
        self.init_std = init_std
        self.norms = nn.ModuleList(nn.LayerNorm(c) if feat_norm else nn.Identity()
                                   for c in channels)
        self.dropout = nn.Dropout(p=dropout_ratio) if dropout_ratio > 0 else nn.Identity()
        self.fc_cls = nn.Linear(sum(channels), num_classes)

    def get_extra_state(self) -> Dict[str, List[str]]:
        """The stream order the position-keyed weights belong to (saved in the state dict)."""
        return dict(streams=list(self.streams))

    def set_extra_state(self, state: Any) -> None:
        """Check that loaded weights were trained with the streams in this head's order.

        Raises:
            ValueError: The checkpoint's streams are in another order (or are others).
        """
        saved = state.get('streams') if isinstance(state, Mapping) else None
        if saved is not None and list(saved) != self.streams:
            raise ValueError(
                f'LearnedFusionHead: the weights were trained with the streams in the order '
                f'{list(saved)}, this model has {self.streams}; the head is by position, so '
                'list model.streams in the order of training')

    def _load_from_state_dict(self, state_dict: dict, prefix: str, *args, **kwargs) -> None:
        # checkpoints written before the order was recorded have no extra state: load them
        state_dict.setdefault(prefix + '_extra_state', None)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def init_weights(self) -> None:
        """Initialise the classifier."""
        normal_init(self.fc_cls, std=self.init_std)

    def forward(self, stream_outputs: StreamOutputs, **kwargs) -> Tensor:
        """Classify the concatenated, normalised stream features.

        Args:
            stream_outputs (Mapping[str, Mapping[str, Tensor]]): Per stream ``feat``
                ``(N, C_i)``.

        Returns:
            Tensor: Logits ``(N, num_classes)``.
        """
        feats: List[Tensor] = []
        for name, out, norm, width in zip(self.streams, self.stream_outputs(stream_outputs),
                                          self.norms, self.stream_channels):
            feat = out['feat']
            if feat.dim() != 2 or feat.shape[1] != width:
                raise ValueError(f'LearnedFusionHead: stream {name!r} gives features '
                                 f'{tuple(feat.shape)}, expected (N, {width})')
            feats.append(norm(feat))
        return self.fc_cls(self.dropout(torch.cat(feats, dim=1)))

    def loss(self, feats: StreamOutputs, data_samples: SampleList, **kwargs) -> Dict:
        """Classification loss of the fused logits.

        Args:
            feats (Mapping[str, Mapping[str, Tensor]]): Stream outputs (see :meth:`forward`).
            data_samples (list[ActionDataSample]): Samples with ``gt_label``.

        Returns:
            dict: ``loss_cls`` and top-k accuracies.
        """
        return self.loss_by_feat(self(feats), data_samples)
