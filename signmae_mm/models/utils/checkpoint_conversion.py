"""Key layouts of VideoMAE checkpoints, and their conversion to SignMAE's models.

Three layouts are understood:

``official``
    MCG-NJU/VideoMAE's pretraining checkpoints (``{'model': state_dict}``):
    ``encoder.patch_embed.proj.*``, ``encoder.blocks.N.{norm1, attn.{qkv.weight, q_bias,
    v_bias, proj}, norm2, mlp.fc1, mlp.fc2}``, ``encoder.norm``, ``decoder.blocks.N.*``,
    ``decoder.norm``, ``decoder.head``, ``encoder_to_decoder.weight``, ``mask_token``.
``hf``
    Hugging Face ``VideoMAEForPreTraining``: ``videomae.embeddings.patch_embeddings.projection``,
    ``videomae.encoder.layer.N.{layernorm_before, attention.attention.{query, key, value,
    q_bias, v_bias}, attention.output.dense, layernorm_after, intermediate.dense,
    output.dense}``, ``videomae.layernorm``, ``decoder.decoder_layers.N.*``, ``decoder.norm``,
    ``decoder.head``, ``encoder_to_decoder.weight``, ``mask_token``. q, k and v weights are
    separate there and are concatenated into ``qkv.weight``. transformers 5 stores the q and v
    biases as ``attention.attention.query.bias`` / ``value.bias`` (earlier releases and the
    hub's older files: ``q_bias`` / ``v_bias``); both map to ``attn.q_bias`` / ``attn.v_bias``.
``signmae``
    Ours (:class:`VideoMAEPretrainer`): ``backbone.*`` with mmaction2's ``VisionTransformer``
    names (``patch_embed.projection``, ``blocks.N.mlp.layers.0.0`` / ``layers.1``, ...),
    ``neck.*`` for the decoder.

Neither VideoMAE layout stores the fixed sinusoidal position embeddings; mmaction2's
``VisionTransformer`` saves them as the buffer ``pos_embed``, so the conversion adds them for
the clip size given (``num_frames``, ``img_size``). ``backbone.norm`` is the encoder's final
LayerNorm; finetuning with mean pooling does not use it and starts a fresh ``fc_norm``
(VideoMAE's recipe, the one stated exception to loading without missing/unexpected keys), so
:func:`pretrainer_to_backbone` leaves it out by default.
"""
import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import torch
from mmaction.models.backbones.vit_mae import get_sinusoid_encoding
from torch import Tensor

__all__ = [
    'ConversionResult', 'LAYOUTS', 'convert_checkpoint', 'convert_to_pretrainer', 'detect_layout',
    'pretrainer_to_backbone', 'unwrap_state_dict'
]

LAYOUTS = ('official', 'hf', 'signmae')

# Inside one transformer block: official VideoMAE (timm-style) names -> mmaction2 names.
_OFFICIAL_BLOCK = [
    (r'norm1\.(weight|bias)', r'norm1.\1'),
    (r'norm2\.(weight|bias)', r'norm2.\1'),
    (r'attn\.qkv\.weight', r'attn.qkv.weight'),
    (r'attn\.(q_bias|v_bias)', r'attn.\1'),
    (r'attn\.proj\.(weight|bias)', r'attn.proj.\1'),
    (r'mlp\.fc1\.(weight|bias)', r'mlp.layers.0.0.\1'),
    (r'mlp\.fc2\.(weight|bias)', r'mlp.layers.1.\1'),
    (r'(gamma_1|gamma_2)', r'\1'),
]
_OFFICIAL_TOP = [
    (r'encoder\.patch_embed\.proj\.(weight|bias)', r'backbone.patch_embed.projection.\1'),
    (r'encoder\.pos_embed', r'backbone.pos_embed'),
    (r'encoder\.norm\.(weight|bias)', r'backbone.norm.\1'),
    (r'decoder\.norm\.(weight|bias)', r'neck.norm.\1'),
    (r'decoder\.head\.(weight|bias)', r'neck.head.\1'),
    (r'encoder_to_decoder\.weight', r'neck.encoder_to_decoder.weight'),
    (r'mask_token', r'neck.mask_token'),
]
_OFFICIAL_BLOCK_PREFIXES = [(r'encoder\.blocks\.(\d+)\.', 'backbone.blocks.{}.'),
                            (r'decoder\.blocks\.(\d+)\.', 'neck.blocks.{}.')]

# Hugging Face ``VideoMAELayer`` names -> mmaction2 names (q/k/v weights handled apart).
_HF_BLOCK = [
    (r'layernorm_before\.(weight|bias)', r'norm1.\1'),
    (r'layernorm_after\.(weight|bias)', r'norm2.\1'),
    (r'attention\.attention\.(q_bias|v_bias)', r'attn.\1'),
    (r'attention\.attention\.query\.bias', r'attn.q_bias'),  # transformers >= 5
    (r'attention\.attention\.value\.bias', r'attn.v_bias'),
    (r'attention\.output\.dense\.(weight|bias)', r'attn.proj.\1'),
    (r'intermediate\.dense\.(weight|bias)', r'mlp.layers.0.0.\1'),
    (r'output\.dense\.(weight|bias)', r'mlp.layers.1.\1'),
]
_HF_TOP = [
    (r'videomae\.embeddings\.patch_embeddings\.projection\.(weight|bias)',
     r'backbone.patch_embed.projection.\1'),
    (r'videomae\.embeddings\.position_embeddings', r'backbone.pos_embed'),
    (r'videomae\.layernorm\.(weight|bias)', r'backbone.norm.\1'),
    (r'decoder\.norm\.(weight|bias)', r'neck.norm.\1'),
    (r'decoder\.head\.(weight|bias)', r'neck.head.\1'),
    (r'encoder_to_decoder\.weight', r'neck.encoder_to_decoder.weight'),
    (r'mask_token', r'neck.mask_token'),
]
_HF_BLOCK_PREFIXES = [(r'videomae\.encoder\.layer\.(\d+)\.', 'backbone.blocks.{}.'),
                      (r'decoder\.decoder_layers\.(\d+)\.', 'neck.blocks.{}.')]
_HF_QKV = re.compile(r'attention\.attention\.(query|key|value)\.weight')


@dataclass
class ConversionResult:
    """A converted state dict and what could not be carried over.

    Attributes:
        state_dict (dict[str, Tensor]): Converted tensors.
        layout (str): Layout of the source (one of :data:`LAYOUTS`).
        unmapped (list[str]): Source keys with no counterpart (not converted).
        dropped (list[str]): Source keys left out on purpose (see ``notes``).
        notes (list[str]): What was added, dropped or assumed, for the user.
    """
    state_dict: Dict[str, Tensor]
    layout: str
    unmapped: List[str] = field(default_factory=list)
    dropped: List[str] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)


def unwrap_state_dict(checkpoint: dict) -> Dict[str, Tensor]:
    """The state dict inside a checkpoint file's content.

    Accepts a bare state dict, ``{'model': ...}`` (VideoMAE), ``{'module': ...}`` (DeepSpeed),
    ``{'state_dict': ...}`` (mmengine); strips DistributedDataParallel's ``module.`` prefix.

    Args:
        checkpoint (dict): What ``torch.load`` returned.

    Returns:
        dict[str, Tensor]: The state dict.
    """
    for key in ('state_dict', 'model', 'module'):
        if isinstance(checkpoint.get(key), dict):
            checkpoint = checkpoint[key]
            break
    state_dict = {k: v for k, v in checkpoint.items() if isinstance(v, Tensor)}
    if state_dict and all(k.startswith('module.') for k in state_dict):
        state_dict = {k[len('module.'):]: v for k, v in state_dict.items()}
    return state_dict


def detect_layout(state_dict: Dict[str, Tensor]) -> str:
    """Which of :data:`LAYOUTS` a state dict is in.

    Args:
        state_dict (dict[str, Tensor]): Unwrapped state dict.

    Returns:
        str: ``'official'``, ``'hf'`` or ``'signmae'``.

    Raises:
        ValueError: If no layout fits.
    """
    keys = list(state_dict)
    if any(k.startswith('videomae.') for k in keys):
        return 'hf'
    if any(k.startswith(('encoder.blocks.', 'encoder.patch_embed.')) for k in keys):
        return 'official'
    if any(k.startswith('backbone.') for k in keys):
        return 'signmae'
    raise ValueError('unknown checkpoint layout: expected keys starting with "encoder." '
                     '(MCG-NJU VideoMAE), "videomae." (Hugging Face) or "backbone." (ours); '
                     f'first keys: {keys[:5]}')


def _rename(key: str, top: List[Tuple[str, str]], block_prefixes: List[Tuple[str, str]],
            block: List[Tuple[str, str]]) -> Optional[str]:
    for pattern, repl in top:
        if re.fullmatch(pattern, key):
            return re.sub(pattern, repl, key)
    for prefix, new_prefix in block_prefixes:
        match = re.match(prefix, key)
        if match is None:
            continue
        rest = key[match.end():]
        for pattern, repl in block:
            if re.fullmatch(pattern, rest):
                return new_prefix.format(match.group(1)) + re.sub(pattern, repl, rest)
    return None


def _convert_hf_qkv(state_dict: Dict[str, Tensor], converted: Dict[str, Tensor],
                    unmapped: List[str]) -> Dict[str, Tensor]:
    """Concatenate HF's separate q/k/v weights into ``qkv.weight``; return the other keys."""
    parts: Dict[str, Dict[str, Tensor]] = {}
    rest = {}
    for key, value in state_dict.items():
        match = _HF_QKV.search(key)
        if match is None:
            rest[key] = value
            continue
        parts.setdefault(key[:match.start()], {})[match.group(1)] = value
    for prefix, qkv in parts.items():
        new_prefix = _rename(prefix + 'layernorm_before.weight', [], _HF_BLOCK_PREFIXES, _HF_BLOCK)
        if new_prefix is None or set(qkv) != {'query', 'key', 'value'}:
            unmapped.extend(prefix + f'attention.attention.{name}.weight' for name in qkv)
            continue
        new_key = new_prefix[:-len('norm1.weight')] + 'attn.qkv.weight'
        converted[new_key] = torch.cat([qkv['query'], qkv['key'], qkv['value']], dim=0)
    return rest


def convert_to_pretrainer(state_dict: Dict[str, Tensor],
                          layout: str = 'auto',
                          num_frames: int = 16,
                          img_size: int = 224) -> ConversionResult:
    """Convert a VideoMAE pretraining state dict to :class:`VideoMAEPretrainer` keys.

    Args:
        state_dict (dict[str, Tensor]): Unwrapped source state dict.
        layout (str): ``'official'``, ``'hf'``, ``'signmae'`` or ``'auto'``. Defaults to
            ``'auto'``.
        num_frames (int): Clip length of the target model (for ``backbone.pos_embed``).
            Defaults to 16.
        img_size (int): Clip side of the target model. Defaults to 224.

    Returns:
        ConversionResult: Keys ``backbone.*`` and ``neck.*``; ``unmapped`` lists the source
        keys that have no counterpart.
    """
    if layout == 'auto':
        layout = detect_layout(state_dict)
    if layout not in LAYOUTS:
        raise ValueError(f'layout must be one of {LAYOUTS} or "auto", got {layout!r}')
    result = ConversionResult({}, layout)
    if layout == 'signmae':
        result.state_dict = dict(state_dict)
        return result
    if layout == 'official':
        rules: Tuple = (_OFFICIAL_TOP, _OFFICIAL_BLOCK_PREFIXES, _OFFICIAL_BLOCK)
        source = state_dict
    else:
        rules = (_HF_TOP, _HF_BLOCK_PREFIXES, _HF_BLOCK)
        source = _convert_hf_qkv(state_dict, result.state_dict, result.unmapped)
    for key, value in source.items():
        new_key = _rename(key, *rules)
        if new_key is None:
            result.unmapped.append(key)
        else:
            result.state_dict[new_key] = value
    _add_pos_embed(result, num_frames, img_size)
    if 'backbone.norm.weight' not in result.state_dict:
        result.notes.append('the source has no final encoder LayerNorm (backbone.norm); '
                            'it keeps its initial values')
    return result


def _add_pos_embed(result: ConversionResult, num_frames: int, img_size: int) -> None:
    """Add mmaction2's fixed sinusoidal ``backbone.pos_embed`` when the source lacks it."""
    sd = result.state_dict
    weight = sd.get('backbone.patch_embed.projection.weight')
    if weight is None:
        result.notes.append('no patch embedding found: backbone.pos_embed not added')
        return
    embed_dims, _, tubelet, patch, _ = weight.shape
    num_tokens = (num_frames // tubelet) * (img_size // patch)**2
    if 'backbone.pos_embed' in sd:
        if sd['backbone.pos_embed'].shape[1] != num_tokens:
            result.notes.append(
                f'backbone.pos_embed (learnable) has {sd["backbone.pos_embed"].shape[1]} '
                f'positions; the target clip ({num_frames} frames, {img_size}px) has '
                f'{num_tokens}')
        return
    sd['backbone.pos_embed'] = get_sinusoid_encoding(num_tokens, embed_dims)
    result.notes.append(f'added the fixed sinusoidal backbone.pos_embed for {num_frames} frames '
                        f'of {img_size}x{img_size} (tubelet {tubelet}, patch {patch}: '
                        f'{num_tokens} tokens); not stored by VideoMAE')


def pretrainer_to_backbone(state_dict: Dict[str, Tensor],
                           keep_norm: bool = False,
                           prefix: str = 'backbone.') -> ConversionResult:
    """Keep the encoder of a :class:`VideoMAEPretrainer` state dict, for finetuning.

    The result keeps the ``backbone.`` prefix, so it loads into mmaction2's ``Recognizer3D``
    with ``load_from`` or into its ``VisionTransformer`` with
    ``init_cfg=dict(type='Pretrained', checkpoint=..., prefix='backbone.')``.

    Args:
        state_dict (dict[str, Tensor]): Our pretrainer's state dict (``backbone.*``,
            ``neck.*``, ...).
        keep_norm (bool): Keep ``backbone.norm`` (the pretraining encoder's last LayerNorm).
            False (default) drops it: a mean-pooling ``VisionTransformer`` has no ``norm``
            (it is an Identity) and a fresh ``fc_norm`` instead, VideoMAE's finetuning recipe.
        prefix (str): Encoder prefix. Defaults to ``'backbone.'``.

    Returns:
        ConversionResult: ``backbone.*`` tensors; decoder and other keys are in ``dropped``.
    """
    result = ConversionResult({}, 'signmae')
    norm_keys = {prefix + 'norm.weight', prefix + 'norm.bias'}
    for key, value in state_dict.items():
        if key.startswith(prefix) and (keep_norm or key not in norm_keys):
            result.state_dict[key] = value
        elif key.startswith(prefix) or key.startswith(
                ('neck.', 'head.', 'heads.', 'data_preprocessor.')):
            result.dropped.append(key)
        else:
            result.unmapped.append(key)
    if not keep_norm and norm_keys & set(state_dict):
        result.notes.append(
            'dropped backbone.norm: the finetuning VisionTransformer (use_mean_pooling=True) '
            'has no final norm and starts a fresh fc_norm (VideoMAE recipe)')
    decoder = [k for k in result.dropped if not k.startswith(prefix)]
    if decoder:
        result.notes.append(f'dropped {len(decoder)} decoder/other tensors (neck.*, ...)')
    return result


def convert_checkpoint(checkpoint: dict,
                       to: str = 'pretrainer',
                       layout: str = 'auto',
                       num_frames: int = 16,
                       img_size: int = 224,
                       keep_norm: bool = False) -> ConversionResult:
    """Convert loaded checkpoint content to our pretrainer, or to a finetuning backbone.

    Args:
        checkpoint (dict): What ``torch.load`` returned.
        to (str): ``'pretrainer'`` (``backbone.*`` + ``neck.*``) or ``'backbone'``.
        layout (str): Source layout or ``'auto'``.
        num_frames (int): Clip length of the target model. Defaults to 16.
        img_size (int): Clip side of the target model. Defaults to 224.
        keep_norm (bool): With ``to='backbone'``, keep ``backbone.norm``. Defaults to False.

    Returns:
        ConversionResult: The converted state dict and the report.
    """
    if to not in ('pretrainer', 'backbone'):
        raise ValueError(f'to must be "pretrainer" or "backbone", got {to!r}')
    result = convert_to_pretrainer(unwrap_state_dict(checkpoint), layout, num_frames, img_size)
    if to == 'backbone':
        backbone = pretrainer_to_backbone(result.state_dict, keep_norm=keep_norm)
        backbone.layout = result.layout
        backbone.unmapped = result.unmapped + backbone.unmapped
        backbone.notes = result.notes + backbone.notes
        result = backbone
    return result
