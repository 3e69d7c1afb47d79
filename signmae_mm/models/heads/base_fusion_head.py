"""``BaseFusionHead``: what every head over the streams of a multi-stream recognizer shares."""
from typing import List, Mapping, Sequence

from mmaction.models.heads import BaseHead
from torch import Tensor

__all__ = ['BaseFusionHead', 'StreamOutputs']

#: Per stream name: ``feat`` ``(N, C_i)`` (pooled features) and ``score`` ``(N, num_classes)``.
StreamOutputs = Mapping[str, Mapping[str, Tensor]]


class BaseFusionHead(BaseHead):
    """Base of the heads of :class:`~signmae_mm.models.MultiStreamRecognizer`.

    A fusion head gets, per stream, the stream's pooled features ``feat`` ``(N, C_i)`` and its
    class scores ``score`` ``(N, num_classes)``, and gives fused scores ``(N, num_classes)``.
    The recognizer fills in ``num_classes`` and ``streams`` and, for a head whose
    :attr:`uses_features` is True, ``in_channels`` (the features' width per stream).

    Args:
        num_classes (int): Number of classes.
        streams (Sequence[str]): Stream names, in the recognizer's order; identifiers, since
            checkpoint keys may be named after them.
        in_channels (int): Total width of the features the head reads (0 if none).
        **kwargs: Other arguments of mmaction2's ``BaseHead``.
    """

    #: Whether the head reads the streams' ``feat`` (then the recognizer gives ``in_channels``).
    uses_features: bool = False

    def __init__(self, num_classes: int, streams: Sequence[str], in_channels: int = 0,
                 **kwargs) -> None:
        names = [str(s) for s in streams]
        label = type(self).__name__
        if not names or len(set(names)) != len(names):
            raise ValueError(f'{label}: stream names must be distinct, got {names}')
        bad = [s for s in names if not s.isidentifier()]
        if bad:
            raise ValueError(f'{label}: stream names must be identifiers, got {bad}')
        super().__init__(num_classes, in_channels, **kwargs)
        self.streams: List[str] = names

    def stream_outputs(self, outputs: StreamOutputs) -> List[Mapping[str, Tensor]]:
        """The outputs of this head's streams, in its order.

        Args:
            outputs (Mapping[str, Mapping[str, Tensor]]): Outputs by stream name.

        Returns:
            list[Mapping[str, Tensor]]: One entry per stream of :attr:`streams`.

        Raises:
            KeyError: A stream has no outputs.
        """
        missing = [s for s in self.streams if s not in outputs]
        if missing:
            raise KeyError(f'{type(self).__name__}: no outputs for streams {missing}')
        return [outputs[s] for s in self.streams]
