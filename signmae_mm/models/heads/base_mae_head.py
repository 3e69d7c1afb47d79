"""The interface of a loss head of :class:`VideoMAEPretrainer`: one target, one weighted loss."""
from abc import ABCMeta, abstractmethod
from typing import Dict, Optional, Tuple

from mmaction.utils import SampleList
from mmengine.model import BaseModule
from torch import Tensor

from ..utils.mae_outputs import MAEOutputs

__all__ = ['BaseMAEHead']


class BaseMAEHead(BaseModule, metaclass=ABCMeta):
    """A pretraining target and its loss, as one of :class:`VideoMAEPretrainer`'s ``heads``.

    The pretrainer runs the encoder and the decoder once and hands every head the same
    :class:`~signmae_mm.models.utils.MAEOutputs` (clips, pixels, masks, encoder tokens, decoded
    tokens, decoder pixel predictions): a head builds its own target and reads the outputs it
    predicts it from, as mmpretrain's heads own their target and loss. Targets computed from
    the clip (pixels, motion) need nothing else; a target carried by the data samples is read
    from ``data_samples`` by the head that needs it (the masks alone travel the preprocessor's
    checked ``masks`` route).

    ``reads`` names the decoder outputs the head reads (``'decoded'``, ``'pred'``; see
    :class:`~signmae_mm.models.utils.MAEOutputs`): the decoder computes those that some head
    reads.

    Each head logs its loss under its own ``loss_name`` (``loss_rec``, ``loss_motion``, ...),
    already multiplied by ``loss_weight``; mmengine's ``parse_losses`` sums every key holding
    ``'loss'`` into the optimised total, so diagnostics must use keys without it.

    Args:
        loss_weight (float): Factor on the head's loss. Defaults to 1.
        loss_name (str): Key of the loss in the returned dict; must start with ``'loss_'``.
        init_cfg (dict | list[dict], optional): Initialisation config.
    """

    #: Decoder outputs (fields of MAEOutputs) that :meth:`loss` and :meth:`predict` read.
    reads: Tuple[str, ...] = ()

    def __init__(self,
                 loss_weight: float = 1.,
                 loss_name: str = 'loss',
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if not loss_name.startswith('loss_'):
            raise ValueError(f'loss_name must start with "loss_" (parse_losses sums the keys '
                             f'that hold "loss"), got {loss_name!r}')
        self.loss_weight = float(loss_weight)
        self.loss_name = loss_name

    @abstractmethod
    def loss(self, outputs: MAEOutputs,
             data_samples: Optional[SampleList] = None) -> Dict[str, Tensor]:
        """The head's weighted loss (and any loss-free diagnostics) of a batch.

        Args:
            outputs (MAEOutputs): The pretrainer's outputs of the batch.
            data_samples (list[ActionDataSample], optional): The batch's data samples.

        Returns:
            dict[str, Tensor]: At least ``{loss_name: scalar}``.
        """

    def predict(self, outputs: MAEOutputs, data_samples: SampleList) -> None:
        """Attach the head's per-clip results to the data samples; nothing by default.

        Args:
            outputs (MAEOutputs): The pretrainer's outputs of the batch (``target_mask`` is
                the encoder mask).
            data_samples (list[ActionDataSample]): One per clip, updated in place.
        """
