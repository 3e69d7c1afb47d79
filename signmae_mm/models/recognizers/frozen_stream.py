"""``FrozenStream``: one trained recognizer, loaded from its checkpoint and run frozen."""
import copy
import glob
import os.path as osp
from typing import Any, Dict, Mapping, Optional, Tuple

import torch
import torch.nn as nn
from mmaction.registry import MODELS
from mmengine.config import Config, ConfigDict
from mmengine.logging import print_log
from mmengine.runner import CheckpointLoader
from torch import Tensor

__all__ = ['FrozenStream', 'StreamCheckpointError', 'resolve_checkpoint']


class StreamCheckpointError(FileNotFoundError):
    """A stream's checkpoint is missing, ambiguous, or does not fit the stream's model."""


def resolve_checkpoint(stream: str, pattern: str) -> str:
    """The checkpoint file of a stream; glob patterns must match exactly one file.

    Args:
        stream (str): Stream name, for error messages.
        pattern (str): A path, or a glob pattern such as ``work_dirs/<run>/best_*.pth``.

    Returns:
        str: The file.

    Raises:
        StreamCheckpointError: No such file, or a pattern matching several.
    """
    if not isinstance(pattern, str) or not pattern:
        raise StreamCheckpointError(f'stream {stream!r}: no checkpoint given (set '
                                    f'model.streams.{stream}.checkpoint)')
    if glob.has_magic(pattern):
        found = sorted(glob.glob(pattern))
        if len(found) > 1:
            raise StreamCheckpointError(f'stream {stream!r}: checkpoint pattern {pattern!r} '
                                        f'matches {len(found)} files {found}; name one')
        if found:
            return found[0]
    elif osp.isfile(pattern):
        return pattern
    raise StreamCheckpointError(f'stream {stream!r}: checkpoint file {pattern!r} not found '
                                f'(set model.streams.{stream}.checkpoint to the stream\'s '
                                'finetuning checkpoint)')


def _strip_init_cfg(cfg: Any) -> Any:
    """A copy of a model config without ``init_cfg`` / ``pretrained`` anywhere: stream weights
    come from the stream checkpoint, not from what the stream was initialised with."""
    if isinstance(cfg, Mapping):
        return type(cfg)((k, _strip_init_cfg(v)) for k, v in cfg.items()
                         if k not in ('init_cfg', 'pretrained'))
    if isinstance(cfg, (list, tuple)):
        return type(cfg)(_strip_init_cfg(v) for v in cfg)
    return cfg


def _architecture(name: str, ckpt: Any, path: str, model: Optional[dict],
                  config: Optional[str]) -> Tuple[dict, str]:
    """The stream's model config and where it comes from: ``model``, else ``config``'s, else
    the config that mmengine's Runner stores in every checkpoint (``meta['cfg']``)."""
    if model is not None:
        model_cfg, source = model, f'model.streams.{name}.model'
    elif config is not None:
        model_cfg, source = Config.fromfile(config).model, config
    else:
        text = ckpt.get('meta', {}).get('cfg') if isinstance(ckpt, dict) else None
        if not text:
            raise ValueError(
                f'FrozenStream: stream {name!r}: checkpoint {path} stores no config '
                f'(meta.cfg); give the architecture as model.streams.{name}.config (the '
                f'stream\'s config file) or model.streams.{name}.model')
        model_cfg, source = Config.fromstring(text, '.py').model, f'{path} (meta.cfg)'
    if isinstance(model_cfg, ConfigDict):
        model_cfg = model_cfg.to_dict()
    return _strip_init_cfg(copy.deepcopy(model_cfg)), source


@MODELS.register_module()
class FrozenStream(nn.Module):
    """A trained recognizer (e.g. ``Recognizer3D``) loaded from its checkpoint and run frozen.

    The recognizer is built from ``model``, else from ``config``'s model, else from the config
    stored in the checkpoint (``meta['cfg']``: exactly what was trained), without ``init_cfg``
    or ``pretrained``; the checkpoint must fit it exactly. It then stays in eval mode, its
    parameters get no gradient and ``init_weights`` leaves them as loaded.

    Its modules are the recognizer's own (``backbone``, ``cls_head``, ``data_preprocessor``),
    so its state-dict keys are the recognizer's: those of the stream checkpoint, and those of
    ``MultiStreamRecognizer`` checkpoints written before this wrapper existed.

    Args:
        checkpoint (str): The stream's checkpoint, or a glob pattern matching one file.
        model (dict, optional): The recognizer's config. Defaults to None.
        config (str, optional): A config file whose ``model`` is the recognizer. Defaults to
            None.
        name (str): The stream's name, for messages. Defaults to ``'stream'``.

    Raises:
        StreamCheckpointError: No such checkpoint, or one that does not fit the model.
        ValueError: No architecture given and none stored in the checkpoint.
    """

    def __init__(self,
                 checkpoint: str,
                 model: Optional[dict] = None,
                 config: Optional[str] = None,
                 name: str = 'stream') -> None:
        super().__init__()
        self.name = name
        self.checkpoint = resolve_checkpoint(name, checkpoint)
        ckpt = CheckpointLoader.load_checkpoint(self.checkpoint, map_location='cpu')
        model_cfg, source = _architecture(name, ckpt, self.checkpoint, model, config)
        recognizer = MODELS.build(model_cfg)
        state = ckpt.get('state_dict', ckpt) if isinstance(ckpt, dict) else ckpt
        state = {k[len('module.'):] if k.startswith('module.') else k: v
                 for k, v in state.items()}
        result = recognizer.load_state_dict(state, strict=False)
        missing = [k for k in result.missing_keys if 'num_batches_tracked' not in k]
        if missing or result.unexpected_keys:
            unexpected = result.unexpected_keys
            raise StreamCheckpointError(
                f'FrozenStream: stream {name!r}: checkpoint {self.checkpoint} does not '
                f'fit the model of {source}: missing keys {missing[:8]}'
                f'{" ..." if len(missing) > 8 else ""}, unexpected keys {unexpected[:8]}'
                f'{" ..." if len(unexpected) > 8 else ""}')
        # The recognizer's modules become ours (same objects), so that the keys stay the
        # recognizer's; the recognizer itself stays out of the module tree, where a second
        # path to the same modules would repeat every key.
        for child_name, child in recognizer.named_children():
            self.add_module(child_name, child)
        self.__dict__['recognizer'] = recognizer.train(False)
        for p in self.parameters():
            p.requires_grad_(False)
        self.train(False)
        print_log(f'FrozenStream: stream {name!r} ({type(recognizer).__name__}) '
                  f'loaded from {self.checkpoint}', logger='current')

    def init_weights(self) -> None:
        """Nothing to do: the weights are the checkpoint's (mmengine's ``init_weights`` of the
        model around calls this rather than the recognizer's)."""

    def train(self, mode: bool = True) -> 'FrozenStream':
        """Stay in eval mode (BatchNorm statistics and dropout as at test time)."""
        return super().train(False)

    @property
    def num_classes(self) -> int:
        """The number of classes of the stream's head."""
        head = getattr(self.recognizer, 'cls_head', None)
        if head is None or not hasattr(head, 'num_classes'):
            raise ValueError(f'FrozenStream: stream {self.name!r} has no cls_head')
        return int(head.num_classes)

    @property
    def feat_channels(self) -> int:
        """The width of the pooled features :meth:`forward` gives (its head's input)."""
        channels = getattr(self.recognizer.cls_head, 'in_channels', None)
        if not isinstance(channels, int) or channels <= 0:
            raise ValueError(f'FrozenStream: cannot tell the feature width of stream '
                             f'{self.name!r}; give fusion_head.in_channels')
        return channels

    @torch.no_grad()
    def forward(self, inputs: Tensor) -> Dict[str, Tensor]:
        """Run the stream as its own test would.

        Args:
            inputs (Tensor): Preprocessed clips ``(N, num_clips, C, T, H, W)``.

        Returns:
            dict[str, Tensor]: ``score`` ``(N, num_classes)``, the stream's class scores (its
            head, averaged over clips by its ``average_clips``), and ``feat`` ``(N, C)``, its
            pooled features (the backbone output averaged over every axis after the
            channels, then over clips).
        """
        batch, num_segs = inputs.shape[:2]
        feats, _ = self.recognizer.extract_feat(inputs, test_mode=True)
        if isinstance(feats, (tuple, list)):
            feats = feats[-1]
        head = self.recognizer.cls_head
        scores = head.average_clip(head(feats), num_segs=num_segs)
        if scores.dim() == 3:  # average_clips=None keeps the clips
            scores = scores.mean(dim=1)
        pooled = feats.flatten(2).mean(dim=2) if feats.dim() > 2 else feats
        pooled = pooled.view(batch, num_segs, -1).mean(dim=1)
        return dict(feat=pooled, score=scores)
