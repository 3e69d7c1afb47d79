"""``StreamFusionHead``: the fusion head of configs written before :class:`LateFusionHead` and
:class:`LearnedFusionHead` were two heads, kept so that those configs (``type=
'StreamFusionHead'``, ``mode='late'`` / ``'learned'``) and their checkpoints keep working."""
import torch.nn as nn
from mmaction.registry import MODELS

from .late_fusion_head import LateFusionHead
from .learned_fusion_head import LearnedFusionHead

__all__ = ['StreamFusionHead', 'FUSION_MODES', 'fusion_head_cfg']

#: The ``mode`` of a ``StreamFusionHead`` config -> the head it stands for.
FUSION_HEADS = dict(late=LateFusionHead, learned=LearnedFusionHead)
FUSION_MODES = tuple(FUSION_HEADS)

# Arguments of the learned mode that the late mode accepted and ignored.
_LEARNED_ONLY = ('in_channels', 'feat_norm', 'dropout_ratio', 'init_std')


def fusion_head_cfg(cfg: dict) -> dict:
    """The config of the head a ``StreamFusionHead`` config stands for; others as they are.

    Args:
        cfg (dict): A fusion head config.

    Returns:
        dict: A new config, of ``LateFusionHead`` or ``LearnedFusionHead`` for a
        ``StreamFusionHead`` one (``mode`` removed).

    Raises:
        ValueError: An unknown ``mode``, or late-fusion ``weights`` for the learned mode.
    """
    cfg = dict(cfg)
    if str(cfg.get('type', '')).split('.')[-1] != 'StreamFusionHead':
        return cfg
    mode = cfg.pop('mode', 'late')
    if mode not in FUSION_HEADS:
        raise ValueError(f'StreamFusionHead: mode must be one of {FUSION_MODES}, got {mode!r}')
    if mode == 'late':
        for key in _LEARNED_ONLY:
            cfg.pop(key, None)
    elif cfg.pop('weights', None) is not None:
        raise ValueError('StreamFusionHead: weights are for mode="late"; the learned head '
                         'learns its own')
    cfg['type'] = FUSION_HEADS[mode].__name__
    return cfg


@MODELS.register_module(name='StreamFusionHead')
def StreamFusionHead(mode: str = 'late', **kwargs) -> nn.Module:  # noqa: N802
    """Build the head that ``StreamFusionHead(mode=...)`` stands for: ``'late'`` ->
    :class:`LateFusionHead`, ``'learned'`` -> :class:`LearnedFusionHead`. Kept for configs
    written before the two heads existed; the checkpoint keys are those of that time.

    Args:
        mode (str): ``'late'`` or ``'learned'``. Defaults to ``'late'``.
        **kwargs: The arguments of the head.

    Returns:
        nn.Module: A :class:`LateFusionHead` or a :class:`LearnedFusionHead`.
    """
    if mode == 'learned':  # the old default, refused by the head with what is missing
        kwargs.setdefault('in_channels', 0)
    cfg = fusion_head_cfg(dict(type='StreamFusionHead', mode=mode, **kwargs))
    return FUSION_HEADS[mode](**{k: v for k, v in cfg.items() if k != 'type'})
