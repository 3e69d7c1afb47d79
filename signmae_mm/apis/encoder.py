"""A recognizer's encoder as an embedding model: built from a recognizer config, its weights from
a finetuned recognizer checkpoint, a *pretraining* checkpoint (the encoder's ``backbone.`` keys)
or none (the random initialisation), and named by an identity that galleries and feature files
keep, so that embeddings of two different encoders are never compared."""
import hashlib
import logging
import os.path as osp
import pickle
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Dict, Iterator, Optional, Union

import torch
import torch.nn as nn

from .file_checks import check_checkpoint_file

__all__ = ['clip_embeddings', 'encoder_identity', 'encoder_weights', 'file_sha256',
           'init_sign_encoder']

#: Hex digits kept of a sha256 in an identity: enough to tell files apart, short to read.
SHORT_SHA = 16


def file_sha256(path: str, length: int = SHORT_SHA) -> str:
    """The first ``length`` hex digits of a file's sha256."""
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()[:length]


def _weights_sha256(module: nn.Module, length: int = SHORT_SHA) -> str:
    """A sha256 of a module's weights (names, shapes, dtypes and bytes): the same encoder gives
    the same digest whatever file it came from, a random one a digest of its own."""
    digest = hashlib.sha256()
    for name, tensor in sorted(module.state_dict().items()):
        tensor = tensor.detach().cpu().contiguous()
        digest.update(f'{name}:{tuple(tensor.shape)}:{tensor.dtype}'.encode())
        # a byte view, so that bfloat16 (which numpy lacks) hashes too
        digest.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()[:length]


def encoder_weights(backbone: nn.Module, state: Dict[str, torch.Tensor], checkpoint: str,
                    prefix: str = 'backbone.') -> Dict[str, torch.Tensor]:
    """A checkpoint's ``prefix`` weights for ``backbone``.

    Every weight of the backbone must be there in its shape, except a mean-pooling ViT's
    ``fc_norm``, which a pretraining encoder does not have (VideoMAE's recipe starts a fresh one).

    Args:
        backbone (nn.Module): The backbone to load.
        state (dict[str, torch.Tensor]): The checkpoint's ``state_dict``.
        checkpoint (str): Its file, for the message.
        prefix (str): The backbone's key prefix in the checkpoint. Defaults to ``'backbone.'``.

    Returns:
        dict[str, torch.Tensor]: The weights, keys without ``prefix`` (ready for
        ``load_state_dict(..., strict=False)``).

    Raises:
        ValueError: The checkpoint lacks encoder weights of this backbone or holds them in
            another shape (named, with a few of the keys).
    """
    weights = {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}
    own = backbone.state_dict()
    missing = sorted(k for k in own if k not in weights and not k.startswith('fc_norm.'))
    wrong = sorted(k for k in own if k in weights and weights[k].shape != own[k].shape)
    if missing or wrong:
        raise ValueError(f'checkpoint {checkpoint} does not fit the backbone: '
                         f'{len(missing)} encoder weights missing (e.g. '
                         f'{", ".join(missing[:3]) or "-"}), {len(wrong)} of another shape (e.g. '
                         f'{", ".join(wrong[:3]) or "-"}); is it a checkpoint of this model '
                         'size?')
    return weights


def init_sign_encoder(config: Union[str, Path, Any],
                      checkpoint: Optional[str] = None,
                      device: Union[str, torch.device] = 'cpu') -> nn.Module:
    """Build a recognizer from its config and load its encoder (backbone, and neck if any).

    The checkpoint may be

    * a finetuned recognizer's (it has ``cls_head.`` keys): the backbone (and a neck) are loaded
      strictly; the head is not needed for embeddings, so another number of classes is fine;
    * a pretraining checkpoint: its ``backbone.`` keys (the prefix of the config's
      ``backbone.init_cfg``, if any) are loaded into the backbone, as the linear probe does;
      a mean-pooling ViT keeps a fresh ``fc_norm`` (weight 1, bias 0), as in VideoMAE's
      finetuning;
    * None: the config's default initialisation (``init_weights``) without the pretrained
      weights its ``init_cfg`` names: a *random* encoder, the "no pretraining" reference.

    Args:
        config (str | Path | Config): A recognizer config (a finetuning config, a heatmap
            stream's, a fusion's stream config), file or object.
        checkpoint (str, optional): Recognizer or pretraining checkpoint; None: random.
        device (str | torch.device): Defaults to ``'cpu'``.

    Returns:
        nn.Module: The recognizer in eval mode, with ``cfg`` and ``encoder_identity``: a dict of
        ``config`` (file name), ``checkpoint`` (file name or ``'random'``),
        ``checkpoint_sha256`` (short; None when random), ``checkpoint_kind``
        (``'recognizer'``, ``'pretraining'`` or ``'random'``), ``weights_sha256`` (of the
        loaded backbone and neck: what tells two encoders apart) and ``embed_dim`` (filled in
        by the first embedding; None until then).

    Raises:
        FileNotFoundError: No such checkpoint.
        ValueError: The checkpoint is not one (named), does not fit the backbone, or the config
            builds no backbone (a fusion config: give one of its stream configs).
    """
    from mmaction.registry import MODELS
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    cfg = Config.fromfile(str(config)) if isinstance(config, (str, Path)) else config
    if 'backbone' not in cfg.model:
        raise ValueError(f'config {_config_name(cfg)} builds a {cfg.model.get("type")} without a '
                         'backbone; embeddings need a recognizer config (for a fusion, one of '
                         'its stream configs)')
    if checkpoint is not None:
        check_checkpoint_file(checkpoint)
    init_default_scope(cfg.get('default_scope', 'mmaction'))
    model_cfg = cfg.model.to_dict()
    # the config's pretrained encoder is a training-time path: never loaded behind our back
    init = model_cfg['backbone'].pop('init_cfg', None)
    model = MODELS.build(model_cfg)
    kind = 'random'
    with _quiet_logger():
        if checkpoint is None:
            model.init_weights()
        else:
            # the encoder comes from the checkpoint; what it lacks (a pretraining encoder's
            # fc_norm: ones and zeros either way, the head) is not worth init_weights' log
            try:
                kind = _load_encoder(model, checkpoint, init)
            except (pickle.UnpicklingError, EOFError) as e:
                raise ValueError(f'checkpoint {checkpoint} cannot be read: {e}') from None
    model.cfg = cfg
    model.encoder_identity = _identity(
        model, osp.basename(checkpoint) if checkpoint else 'random',
        file_sha256(checkpoint) if checkpoint else None, kind)
    return model.to(device).eval()


def encoder_identity(model: nn.Module) -> Dict[str, Any]:
    """The identity of a model's encoder (a copy): the one :func:`init_sign_encoder` made, or,
    for a model built otherwise (:func:`~signmae_mm.apis.init_sign_recognizer`), one made now
    from its weights, its checkpoint unknown.

    Args:
        model (nn.Module): A recognizer.

    Returns:
        dict: See :func:`init_sign_encoder`.
    """
    if getattr(model, 'encoder_identity', None) is None:
        model.encoder_identity = _identity(model, 'unknown', None, 'unknown')
    return dict(model.encoder_identity)


def _identity(model: nn.Module, checkpoint: str, sha256: Optional[str],
              kind: str) -> Dict[str, Any]:
    encoder = nn.ModuleList([model.backbone] + ([model.neck] if model.with_neck else []))
    return dict(config=_config_name(getattr(model, 'cfg', None)), checkpoint=checkpoint,
                checkpoint_sha256=sha256, checkpoint_kind=kind,
                weights_sha256=_weights_sha256(encoder), embed_dim=None)


@contextmanager
def _quiet_logger() -> Iterator[None]:
    """mmengine's INFO lines off for a while: ``init_weights`` logs every parameter, the
    checkpoint loader its backend; a tool's output is its answer."""
    from mmengine.logging import MMLogger
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def _config_name(cfg: Any) -> str:
    filename = getattr(cfg, 'filename', None)
    return osp.basename(filename) if filename else '<config object>'


def _load_encoder(model: nn.Module, checkpoint: str, init: Optional[dict]) -> str:
    """Load the encoder part of ``checkpoint`` into ``model``; return the checkpoint's kind."""
    from mmengine.runner import CheckpointLoader
    state = CheckpointLoader.load_checkpoint(checkpoint, map_location='cpu')
    state = state.get('state_dict', state)
    if any(k.startswith('cls_head.') for k in state):
        # a recognizer: its encoder as trained, every key (a pretraining neck would be the
        # MAE decoder, hence only here)
        parts = [('backbone.', model.backbone)] + (
            [('neck.', model.neck)] if model.with_neck else [])
        for prefix, module in parts:
            weights = {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}
            try:
                module.load_state_dict(weights, strict=True)
            except RuntimeError as e:
                raise ValueError(f'checkpoint {checkpoint} does not fit the config\'s '
                                 f'{prefix[:-1]}: {e}') from None
        return 'recognizer'
    prefix = init.get('prefix', 'backbone.') if isinstance(init, dict) else 'backbone.'
    model.backbone.load_state_dict(encoder_weights(model.backbone, state, checkpoint, prefix),
                                   strict=False)
    return 'pretraining'


def clip_embeddings(model: nn.Module, inputs: torch.Tensor) -> torch.Tensor:
    """Pooled embeddings of a batch of samples, averaged over each sample's views.

    The encoder's output as the head would see it in test mode (``extract_feat``): a ViT's
    pooled token mean through ``fc_norm``; a feature map (a 3D CNN's ``(C, T, H, W)``) is
    averaged over every axis but the channels, as mmaction2's ``FeatureHead`` and I3D head do.

    Args:
        model (nn.Module): A recognizer (``extract_feat``).
        inputs (torch.Tensor): ``(B, V, ...)`` from the data preprocessor: ``V`` views (clips x
            crops) per sample.

    Returns:
        torch.Tensor: ``(B, D)`` embeddings.
    """
    num, views = inputs.shape[:2]
    feats = model.extract_feat(inputs, test_mode=True)[0]
    if isinstance(feats, (tuple, list)):  # a multi-pathway backbone: its pathways side by side
        feats = torch.cat([f.flatten(2).mean(-1) if f.ndim > 2 else f for f in feats], dim=1)
    elif feats.ndim > 2:
        feats = feats.flatten(2).mean(-1)
    return feats.reshape(num, views, -1).mean(1)
