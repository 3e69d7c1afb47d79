"""``MultiStreamRecognizer``: frozen, separately finetuned recognizers fused by a fusion head."""
from typing import Any, Dict, List, Mapping, Optional, Tuple

import torch.nn as nn
from mmaction.registry import MODELS
from mmaction.utils import OptSampleList, SampleList
from mmengine.logging import print_log
from mmengine.model import BaseModel
from torch import Tensor

from ..heads.stream_fusion_head import fusion_head_cfg
from .frozen_stream import FrozenStream, StreamCheckpointError, resolve_checkpoint

# StreamCheckpointError and resolve_checkpoint live in frozen_stream; re-exported here for code
# that imported them from this module.
__all__ = ['MultiStreamRecognizer', 'StreamCheckpointError', 'resolve_checkpoint']

_STREAM_KEYS = ('checkpoint', 'input_key', 'model', 'config')


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

    Each stream is a :class:`~signmae_mm.models.FrozenStream`: a complete mmaction2 recognizer
    (e.g. ``Recognizer3D``) loaded from its own finetuning checkpoint when this model is built,
    and run frozen. The streams read their inputs from one multi-modal sample
    (``PackActionInputs(collect_keys=('imgs', 'heatmap_imgs'))``), preprocessed by mmaction2's
    ``MultiModalDataPreprocessor`` (one preprocessor per input key; each stream's own
    normalisation must agree with the one of its input key, which is checked). The fusion head
    (:class:`~signmae_mm.models.LateFusionHead` or :class:`~signmae_mm.models.LearnedFusionHead`)
    gets, per stream,

    - ``score``: the stream's class scores ``(N, num_classes)``, computed exactly as the stream's
      own test computes them (its head, averaged over clips by its ``average_clips``);
    - ``feat``: its pooled features ``(N, C)`` (the backbone output averaged over every axis
      after the channels, then over clips).

    A stream is given as ``dict(checkpoint=..., input_key='imgs', model=None, config=None)``:
    ``input_key`` is the input it reads; the rest are :class:`FrozenStream`'s arguments (the
    checkpoint, a glob pattern matching one file accepted; the architecture from ``model``,
    else ``config``, else the config stored in the checkpoint). Missing files fail at build
    time with one :class:`StreamCheckpointError` naming every missing stream and file.

    Checkpoints of this model: by default (``save_stream_weights=False``) its state dict, and so
    every checkpoint that training writes, holds the fusion head only: the frozen streams are
    not copied into each fused checkpoint. Loading (``load_from``, ``mim test --checkpoint``) a
    checkpoint with none of a stream's keys -- such a checkpoint, or the late-fusion weights
    that ``tools/fuse_scores.py --save-checkpoint`` writes -- leaves the stream with the weights
    of its own checkpoint and does not report them missing; a checkpoint with the stream's keys
    (``save_stream_weights=True``) loads them as usual.

    Args:
        streams (dict[str, dict]): Stream name -> stream spec (see above), in fusion order.
        fusion_head (dict): Head config; ``streams``, ``num_classes`` and, for a head that
            reads features, ``in_channels`` are filled in from the streams. The
            ``StreamFusionHead`` configs of before (``mode='late'`` / ``'learned'``) build the
            head they stand for.
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
        specs = self._stream_specs(streams)
        self.stream_names: List[str] = list(specs)
        self.input_keys: Dict[str, str] = {
            name: spec.pop('input_key', 'imgs') for name, spec in specs.items()}
        self.streams = nn.ModuleDict(
            {name: FrozenStream(name=name, **spec) for name, spec in specs.items()})
        self.stream_checkpoints: Dict[str, str] = {
            name: stream.checkpoint for name, stream in self.streams.items()}
        self._check_inputs(check_normalization)
        self.fusion_head = MODELS.build(self._head_cfg(fusion_head))
        self.save_stream_weights = save_stream_weights
        self.register_state_dict_post_hook(_drop_stream_weights)
        self.register_load_state_dict_post_hook(_keep_own_stream_weights)

    # ------------------------------------------------------------------ building
    @staticmethod
    def _stream_specs(streams: Mapping[str, dict]) -> Dict[str, dict]:
        """Checked copies of the stream specs; every checkpoint is looked for first, so that
        one error names all the missing files."""
        if not isinstance(streams, Mapping) or not streams:
            raise ValueError('MultiStreamRecognizer: streams must be a non-empty dict of '
                             'name -> dict(checkpoint=..., input_key=...)')
        specs = {str(name): dict(spec) for name, spec in streams.items()}
        errors = []
        for name, spec in specs.items():
            unknown = sorted(set(spec) - set(_STREAM_KEYS))
            if unknown:
                raise ValueError(f'MultiStreamRecognizer: stream {name!r} has unknown keys '
                                 f'{unknown}; a stream takes {list(_STREAM_KEYS)}')
            try:
                spec['checkpoint'] = resolve_checkpoint(name, spec.get('checkpoint'))
            except StreamCheckpointError as e:
                errors.append(str(e))
        if errors:
            raise StreamCheckpointError(
                f'MultiStreamRecognizer: {len(errors)} of {len(specs)} stream checkpoints '
                'cannot be used:\n  ' + '\n  '.join(errors))
        return specs

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

    def _head_cfg(self, fusion_head: dict) -> dict:
        """The fusion head's config with what the streams tell filled in, and checked."""
        num_classes = {name: s.num_classes for name, s in self.streams.items()}
        if len(set(num_classes.values())) != 1:
            raise ValueError(f'MultiStreamRecognizer: the streams predict different numbers of '
                             f'classes: {num_classes}')
        head_cfg = fusion_head_cfg(fusion_head)  # a StreamFusionHead config: the head it means
        n_cls = next(iter(num_classes.values()))
        if head_cfg.setdefault('num_classes', n_cls) != n_cls:
            raise ValueError(f'MultiStreamRecognizer: fusion_head.num_classes is '
                             f'{head_cfg["num_classes"]}, the streams predict {n_cls} classes')
        if head_cfg.setdefault('streams', self.stream_names) != self.stream_names:
            raise ValueError(f'MultiStreamRecognizer: fusion_head.streams '
                             f'{list(head_cfg["streams"])} differ from the streams '
                             f'{self.stream_names}')
        head_type = head_cfg.get('type')
        head_cls = head_type if isinstance(head_type, type) else MODELS.get(head_type)
        if getattr(head_cls, 'uses_features', False) and not head_cfg.get('in_channels'):
            head_cfg['in_channels'] = [s.feat_channels for s in self.streams.values()]
        return head_cfg

    # ------------------------------------------------------------------------------- forward
    def extract_feat(self, inputs: Mapping[str, Tensor]) -> Dict[str, Dict[str, Tensor]]:
        """Run every stream on its input.

        Args:
            inputs (Mapping[str, Tensor]): Input key -> ``(N, num_clips, C, T, H, W)``.

        Returns:
            dict[str, dict[str, Tensor]]: Per stream ``feat`` ``(N, C_i)`` and ``score``
            ``(N, num_classes)`` (see :meth:`FrozenStream.forward`).
        """
        outputs = {}
        for name, stream in self.streams.items():
            key = self.input_keys[name]
            if key not in inputs:
                raise KeyError(f'MultiStreamRecognizer: stream {name!r} needs input {key!r}; '
                               f'the batch has {sorted(inputs)} (PackActionInputs('
                               'collect_keys=...) decides)')
            outputs[name] = stream(inputs[key])
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
        """Losses of the fusion head (a learned one)."""
        return self.fusion_head.loss(self.extract_feat(inputs), data_samples)

    def predict(self, inputs: Mapping[str, Tensor], data_samples: SampleList) -> SampleList:
        """Fused predictions: ``pred_score`` ``(num_classes, )`` and ``pred_label`` per sample."""
        return self.predict_streams(inputs, data_samples)[1]

    def predict_streams(self, inputs: Mapping[str, Tensor], data_samples: SampleList
                        ) -> Tuple[Dict[str, Dict[str, Tensor]], SampleList]:
        """Each stream's outputs and the fused predictions, from one pass.

        Args:
            inputs (Mapping[str, Tensor]): Preprocessed inputs by key.
            data_samples (list[ActionDataSample]): The batch's samples.

        Returns:
            tuple: The streams' outputs (see :meth:`extract_feat`) and ``data_samples`` with the
            fused ``pred_score`` / ``pred_label``.
        """
        streams = self.extract_feat(inputs)
        return streams, self.fusion_head.predict(streams, data_samples)
