"""``MultiStreamRecognizer``: frozen, separately finetuned recognizers fused by a fusion head."""
import copy
import glob
import os.path as osp
from typing import Any, Dict, List, Mapping, Optional, Tuple

import torch
import torch.nn as nn
from mmaction.registry import MODELS
from mmaction.utils import OptSampleList, SampleList
from mmengine.config import Config, ConfigDict
from mmengine.logging import print_log
from mmengine.model import BaseModel
from mmengine.runner.checkpoint import _load_checkpoint
from torch import Tensor

__all__ = ['MultiStreamRecognizer', 'StreamCheckpointError', 'resolve_checkpoint']

_STREAM_KEYS = ('checkpoint', 'input_key', 'model', 'config')


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


def _normalisation(preprocessor: Optional[nn.Module]) -> Tuple:
    """What a data preprocessor does to pixel values: ``(mean, std, to_rgb)``, mean and std
    None when it does not normalise."""
    if preprocessor is None:
        return None, None, False
    if getattr(preprocessor, '_enable_normalize', False):
        mean = [round(float(v), 4) for v in preprocessor.mean.flatten()]
        std = [round(float(v), 4) for v in preprocessor.std.flatten()]
    else:
        mean = std = None
    return mean, std, bool(getattr(preprocessor, 'to_rgb', False))


def _drop_stream_weights(module: 'MultiStreamRecognizer', state_dict: dict, prefix: str,
                         local_metadata: dict) -> None:
    """State-dict post hook: leave the frozen streams out unless ``save_stream_weights``."""
    if module.save_stream_weights:
        return
    marker = prefix + 'streams.'
    for key in [k for k in state_dict if k.startswith(marker)]:
        del state_dict[key]


def _keep_own_stream_weights(module: 'MultiStreamRecognizer', incompatible_keys) -> None:
    """Load-state-dict post hook: a checkpoint with none of a stream's keys keeps the stream's
    own weights, without reporting them missing."""
    missing = incompatible_keys.missing_keys
    for name, stream in module.streams.items():
        marker = f'streams.{name}.'
        own = {k for k in missing if marker in k}
        # BatchNorm fills in an absent num_batches_tracked itself: it is never missing
        expected = [k for k in stream.state_dict() if 'num_batches_tracked' not in k]
        if own and len({k for k in own if 'num_batches_tracked' not in k}) >= len(expected):
            missing[:] = [k for k in missing if k not in own]
            print_log(f'MultiStreamRecognizer: the checkpoint has no weights of stream {name!r}; '
                      f'it keeps those of {module.stream_checkpoints[name]}', logger='current')


@MODELS.register_module()
class MultiStreamRecognizer(BaseModel):
    """Fuse separately finetuned recognizers (two video streams and a heatmap stream).

    Each stream is a complete mmaction2 recognizer (e.g. ``Recognizer3D``), built and loaded
    from its own finetuning checkpoint when this model is built, then frozen: it stays in
    eval mode, its parameters get no gradient and it is never re-initialised. The streams read
    their inputs from one multi-modal sample (``PackActionInputs(collect_keys=('imgs',
    'heatmap_imgs'))``), preprocessed by mmaction2's ``MultiModalDataPreprocessor`` (one
    preprocessor per input key; each stream's own normalisation must agree with the one of its
    input key, which is checked). The fusion head (:class:`StreamFusionHead`) gets, per stream,

    - ``score``: the stream's class scores ``(N, num_classes)``, computed exactly as the stream's
      own test computes them (its head, averaged over clips by its ``average_clips``);
    - ``feat``: its pooled features ``(N, C)`` (the backbone output averaged over every axis
      after the channels, then over clips).

    A stream is given as ``dict(checkpoint=..., input_key='imgs', model=None, config=None)``:

    - ``checkpoint``: the stream's finetuning checkpoint (a glob pattern matching one file,
      such as ``work_dirs/<run>/best_*.pth``, is accepted). Missing files fail at build time
      with :class:`StreamCheckpointError` naming every missing stream and file.
    - The stream's architecture: ``model`` (a model config dict), else ``config`` (a config
      file whose ``model`` is used), else the config that mmengine stores in every training
      checkpoint (``meta['cfg']``), so that the stream is exactly what was trained. ``init_cfg``
      and ``pretrained`` entries are dropped. The checkpoint must fit it exactly (no missing or
      unexpected keys), else the error names the file and the keys.

    Checkpoints of this model: by default (``save_stream_weights=False``) its state dict, and so
    every checkpoint that training writes, holds the fusion head only: the frozen streams are
    not copied into each fused checkpoint. Loading (``load_from``, ``mim test --checkpoint``) a
    checkpoint with none of a stream's keys -- such a checkpoint, or the late-fusion weights
    that ``tools/fuse_scores.py --save-checkpoint`` writes -- leaves the stream with the weights
    of its own checkpoint and does not report them missing; a checkpoint with the stream's keys
    (``save_stream_weights=True``) loads them as usual.

    Args:
        streams (dict[str, dict]): Stream name -> stream spec (see above), in fusion order.
        fusion_head (dict): Head config; ``streams``, ``num_classes`` and (learned mode)
            ``in_channels`` are filled in from the streams.
        data_preprocessor (dict): A ``MultiModalDataPreprocessor`` config with a preprocessor
            per input key.
        check_normalization (bool): Check that every stream's own data preprocessor normalises
            as the preprocessor of its input key does. Defaults to True.
        save_stream_weights (bool): Keep the streams' weights in this model's state dict (and
            checkpoints). Defaults to False.
        init_cfg (dict, optional): Unused by the streams. Defaults to None.
    """

    def __init__(self,
                 streams: Dict[str, dict],
                 fusion_head: dict,
                 data_preprocessor: Optional[dict] = None,
                 check_normalization: bool = True,
                 save_stream_weights: bool = False,
                 init_cfg: Optional[dict] = None) -> None:
        if data_preprocessor is None:
            data_preprocessor = dict(
                type='MultiModalDataPreprocessor',
                preprocessors=dict(imgs=dict(type='ActionDataPreprocessor')))
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if not isinstance(streams, Mapping) or not streams:
            raise ValueError('MultiStreamRecognizer: streams must be a non-empty dict of '
                             'name -> dict(checkpoint=..., input_key=...)')
        specs = {str(name): dict(spec) for name, spec in streams.items()}
        for name, spec in specs.items():
            unknown = sorted(set(spec) - set(_STREAM_KEYS))
            if unknown:
                raise ValueError(f'MultiStreamRecognizer: stream {name!r} has unknown keys '
                                 f'{unknown}; a stream takes {list(_STREAM_KEYS)}')
        # every checkpoint first, so that one error names all the missing files
        files, errors = {}, []
        for name, spec in specs.items():
            try:
                files[name] = resolve_checkpoint(name, spec.get('checkpoint'))
            except StreamCheckpointError as e:
                errors.append(str(e))
        if errors:
            raise StreamCheckpointError(
                f'MultiStreamRecognizer: {len(errors)} of {len(specs)} stream checkpoints '
                'cannot be used:\n  ' + '\n  '.join(errors))

        self.stream_names: List[str] = list(specs)
        self.input_keys: Dict[str, str] = {
            name: spec.get('input_key', 'imgs') for name, spec in specs.items()}
        self.stream_checkpoints: Dict[str, str] = files
        self.streams = nn.ModuleDict(
            {name: self._build_stream(name, spec, files[name]) for name, spec in specs.items()})
        self._check_inputs(check_normalization)

        num_classes = {name: self._num_classes(name) for name in self.stream_names}
        if len(set(num_classes.values())) != 1:
            raise ValueError(f'MultiStreamRecognizer: the streams predict different numbers of '
                             f'classes: {num_classes}')
        head_cfg = dict(fusion_head)
        n_cls = next(iter(num_classes.values()))
        if head_cfg.setdefault('num_classes', n_cls) != n_cls:
            raise ValueError(f'MultiStreamRecognizer: fusion_head.num_classes is '
                             f'{head_cfg["num_classes"]}, the streams predict {n_cls} classes')
        if head_cfg.setdefault('streams', self.stream_names) != self.stream_names:
            raise ValueError(f'MultiStreamRecognizer: fusion_head.streams '
                             f'{list(head_cfg["streams"])} differ from the streams '
                             f'{self.stream_names}')
        if head_cfg.get('mode', 'late') == 'learned' and not head_cfg.get('in_channels'):
            head_cfg['in_channels'] = [self._feat_channels(n) for n in self.stream_names]
        self.fusion_head = MODELS.build(head_cfg)
        self.save_stream_weights = save_stream_weights
        self.register_state_dict_post_hook(_drop_stream_weights)
        self.register_load_state_dict_post_hook(_keep_own_stream_weights)

    # ------------------------------------------------------------------ building the streams
    def _build_stream(self, name: str, spec: dict, path: str) -> nn.Module:
        """Build one stream and load its checkpoint strictly; freeze it."""
        ckpt = _load_checkpoint(path, map_location='cpu')
        if spec.get('model') is not None:
            model_cfg, source = spec['model'], 'model.streams.{}.model'.format(name)
        elif spec.get('config') is not None:
            model_cfg, source = Config.fromfile(spec['config']).model, spec['config']
        else:
            text = ckpt.get('meta', {}).get('cfg') if isinstance(ckpt, dict) else None
            if not text:
                raise ValueError(
                    f'MultiStreamRecognizer: stream {name!r}: checkpoint {path} stores no config '
                    f'(meta.cfg); give the architecture as model.streams.{name}.config (the '
                    'stream\'s config file) or model.streams.{name}.model')
            model_cfg, source = Config.fromstring(text, '.py').model, f'{path} (meta.cfg)'
        if isinstance(model_cfg, ConfigDict):
            model_cfg = model_cfg.to_dict()
        stream = MODELS.build(_strip_init_cfg(copy.deepcopy(model_cfg)))
        state = ckpt.get('state_dict', ckpt) if isinstance(ckpt, dict) else ckpt
        state = {k[len('module.'):] if k.startswith('module.') else k: v
                 for k, v in state.items()}
        result = stream.load_state_dict(state, strict=False)
        missing = [k for k in result.missing_keys if 'num_batches_tracked' not in k]
        if missing or result.unexpected_keys:
            raise StreamCheckpointError(
                f'MultiStreamRecognizer: stream {name!r}: checkpoint {path} does not fit the '
                f'model of {source}: missing keys {missing[:8]}'
                f'{" ..." if len(missing) > 8 else ""}, unexpected keys '
                f'{result.unexpected_keys[:8]}{" ..." if len(result.unexpected_keys) > 8 else ""}')
        for p in stream.parameters():
            p.requires_grad_(False)
        stream.train(False)
        stream._is_init = True  # mmengine's init_weights must not re-initialise it
        print_log(f'MultiStreamRecognizer: stream {name!r} ({type(stream).__name__}) loaded '
                  f'from {path}', logger='current')
        return stream

    def _check_inputs(self, check_normalization: bool) -> None:
        """Every input key has a preprocessor that normalises as its streams expect."""
        preprocessors = getattr(self.data_preprocessor, 'preprocessors', None)
        for name, key in self.input_keys.items():
            if preprocessors is None or key not in preprocessors:
                have = list(preprocessors) if preprocessors is not None else None
                raise ValueError(
                    f'MultiStreamRecognizer: stream {name!r} reads {key!r}, but the data '
                    f'preprocessor has no preprocessor for it (has {have}); use '
                    'MultiModalDataPreprocessor(preprocessors={...})')
            if not check_normalization:
                continue
            ours = _normalisation(preprocessors[key])
            theirs = _normalisation(getattr(self.streams[name], 'data_preprocessor', None))
            if ours != theirs:
                raise ValueError(
                    f'MultiStreamRecognizer: stream {name!r} was trained on inputs normalised '
                    f'with (mean, std, to_rgb) = {theirs}, but the fusion data preprocessor of '
                    f'{key!r} uses {ours}; make them equal (or check_normalization=False)')

    def _num_classes(self, name: str) -> int:
        head = getattr(self.streams[name], 'cls_head', None)
        if head is None or not hasattr(head, 'num_classes'):
            raise ValueError(f'MultiStreamRecognizer: stream {name!r} has no cls_head')
        return int(head.num_classes)

    def _feat_channels(self, name: str) -> int:
        head = self.streams[name].cls_head
        channels = getattr(head, 'in_channels', None)
        if not isinstance(channels, int) or channels <= 0:
            raise ValueError(f'MultiStreamRecognizer: cannot tell the feature width of stream '
                             f'{name!r}; give fusion_head.in_channels')
        return channels

    # -------------------------------------------------------------------------- frozen streams
    def train(self, mode: bool = True) -> 'MultiStreamRecognizer':
        """Set the mode of the fusion head; the streams stay in eval mode."""
        super().train(mode)
        self.streams.train(False)
        return self

    # ------------------------------------------------------------------------------- forward
    def extract_feat(self, inputs: Mapping[str, Tensor]) -> Dict[str, Dict[str, Tensor]]:
        """Run every stream.

        Args:
            inputs (Mapping[str, Tensor]): Input key -> ``(N, num_clips, C, T, H, W)``.

        Returns:
            dict[str, dict[str, Tensor]]: Per stream ``feat`` ``(N, C_i)`` and ``score``
            ``(N, num_classes)``.
        """
        outputs = {}
        with torch.no_grad():
            for name, stream in self.streams.items():
                key = self.input_keys[name]
                if key not in inputs:
                    raise KeyError(f'MultiStreamRecognizer: stream {name!r} needs input {key!r}; '
                                   f'the batch has {sorted(inputs)} (PackActionInputs('
                                   'collect_keys=...) decides)')
                x = inputs[key]
                batch, num_segs = x.shape[:2]
                feats, _ = stream.extract_feat(x, test_mode=True)
                if isinstance(feats, (tuple, list)):
                    feats = feats[-1]
                scores = stream.cls_head(feats)
                scores = stream.cls_head.average_clip(scores, num_segs=num_segs)
                if scores.dim() == 3:  # average_clips=None keeps the clips
                    scores = scores.mean(dim=1)
                pooled = feats.flatten(2).mean(dim=2) if feats.dim() > 2 else feats
                pooled = pooled.view(batch, num_segs, -1).mean(dim=1)
                outputs[name] = dict(feat=pooled, score=scores)
        return outputs

    def forward(self,
                inputs: Mapping[str, Tensor],
                data_samples: OptSampleList = None,
                mode: str = 'tensor') -> Any:
        """mmengine's entry point.

        Args:
            inputs (Mapping[str, Tensor]): Preprocessed inputs by key.
            data_samples (list[ActionDataSample], optional): The batch's samples.
            mode (str): ``'loss'``, ``'predict'`` or ``'tensor'`` (fused scores / logits
                ``(N, num_classes)``).
        """
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self.fusion_head(self.extract_feat(inputs))
        raise RuntimeError(f'Invalid mode "{mode}"; only "loss", "predict" and "tensor" exist')

    def loss(self, inputs: Mapping[str, Tensor], data_samples: SampleList) -> Dict[str, Tensor]:
        """Losses of the fusion head (learned mode)."""
        return self.fusion_head.loss(self.extract_feat(inputs), data_samples)

    def predict(self, inputs: Mapping[str, Tensor], data_samples: SampleList) -> SampleList:
        """Fused predictions: ``pred_score`` ``(num_classes, )`` and ``pred_label`` per sample."""
        return self.fusion_head.predict(self.extract_feat(inputs), data_samples)
