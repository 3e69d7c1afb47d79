"""Loading a pretraining model (SignMAE / VideoMAE) from its config and a checkpoint, strictly."""
import re
from typing import Any, List, Optional

import torch

__all__ = ['CheckpointMismatchError', 'load_pretrainer', 'load_pretrainer_checkpoint']

#: How many key names an error message lists per kind.
_LISTED = 5


class CheckpointMismatchError(RuntimeError):
    """The checkpoint's weights do not fit the model of the config."""


def _keys(kind: str, keys: List[str]) -> str:
    listed = ', '.join(keys[:_LISTED]) + (', ...' if len(keys) > _LISTED else '')
    return f'{len(keys)} {kind} ({listed})'


def load_pretrainer_checkpoint(model: torch.nn.Module, filename: str, config: str) -> dict:
    """Load ``filename`` into ``model`` with mmengine's ``load_checkpoint``; every key must fit.

    Args:
        model (torch.nn.Module): The model built from ``config``.
        filename (str): The checkpoint.
        config (str): The config's name, for the error message.

    Returns:
        dict: The checkpoint.

    Raises:
        CheckpointMismatchError: Naming both files, with the missing, unexpected and
            wrongly shaped keys (a few of each), when the weights do not fit.
    """
    from mmengine.runner import load_checkpoint

    # strict=False + a silent logger: mmengine would list every key; we check and say it once.
    checkpoint = load_checkpoint(model, filename, map_location='cpu', strict=False,
                                 logger='silent')
    state = checkpoint.get('state_dict', checkpoint)
    state = {re.sub(r'^module\.', '', k): v for k, v in state.items()}
    expected = model.state_dict()
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    shapes = [f'{k} {tuple(state[k].shape)} vs {tuple(v.shape)}' for k, v in expected.items()
              if k in state and hasattr(state[k], 'shape') and state[k].shape != v.shape]
    if missing or unexpected or shapes:
        problems = [_keys(kind, keys) for kind, keys in (
            ('missing keys', missing), ('unexpected keys', unexpected),
            ('keys of another shape (checkpoint vs model)', shapes)) if keys]
        raise CheckpointMismatchError(
            f'checkpoint {filename} does not match the model of {config} '
            f'({type(model).__name__}): ' + '; '.join(problems) +
            '. Is it a checkpoint of this pretraining config (same model sizes, not a '
            'finetuned or converted one)?')
    return checkpoint


def load_pretrainer(cfg: Any, checkpoint: str, device: str = 'cpu',
                    name: Optional[str] = None) -> torch.nn.Module:
    """Build the pretraining model of ``cfg`` and load ``checkpoint`` into it strictly.

    Args:
        cfg (mmengine.Config): A pretraining config (a model with a pixel reconstruction head);
            its ``default_scope`` is initialised.
        checkpoint (str): A checkpoint of that model.
        device (str): Where to put the model. Defaults to ``'cpu'``.
        name (str, optional): The config's name in error messages. Defaults to
            ``cfg.filename``.

    Returns:
        torch.nn.Module: The model, on ``device``.

    Raises:
        TypeError: The config's model is not a pretraining model.
        CheckpointMismatchError: See :func:`load_pretrainer_checkpoint`.
    """
    from mmaction.registry import MODELS
    from mmengine.registry import init_default_scope

    init_default_scope(cfg.get('default_scope', 'mmaction'))
    model = MODELS.build(cfg.model)
    name = name or cfg.filename or '<config>'
    if not hasattr(model, 'head') or not hasattr(model.head, 'mean_predictor_loss'):
        raise TypeError(f'{name}: the model ({type(model).__name__}) is not a '
                        'pretraining model with a PixelReconstructionHead')
    load_pretrainer_checkpoint(model, checkpoint, name)
    return model.to(device)
