"""The SignMAE / VideoMAE pretraining model: masked encoder, decoder and loss heads."""
import inspect
from typing import Dict, List, Optional, Tuple, Union

import numpy as np
import torch
from mmaction.registry import MODELS
from mmaction.structures import ActionDataSample
from mmaction.utils import ConfigType, OptConfigType, SampleList
from mmengine.model import BaseModel, BaseModule, ModuleList
from torch import Tensor

from ..utils.mae_outputs import DECODER_OUTPUTS, MAEOutputs
from ..utils.tokens import check_token_mask, running_cell_patterns, token_grid

__all__ = ['VideoMAEPretrainer']

_MISSING_MASK = (
    'VideoMAEPretrainer needs a token mask per clip in "{mode}" mode: a (B, N) bool tensor '
    'passed as `masks`, as MaskedVideoDataPreprocessor stacks it from the `mask` of the data '
    'samples. Put a mask transform (SegmentGuidedHandMask, TubeMask or RandomMask) in the '
    "pipeline before PackActionInputs(algorithm_keys=('mask',)).")
_UNSTACKED_MASK = (
    'VideoMAEPretrainer: the data samples carry a `mask` but no `masks` came with them: the '
    "model's data_preprocessor ({name}) does not stack masks; use "
    "data_preprocessor=dict(type='MaskedVideoDataPreprocessor', ...)")


@MODELS.register_module()
class VideoMAEPretrainer(BaseModel):
    """Masked-autoencoder pretraining of a video ViT (VideoMAE, and SignMAE's masks).

    Composed of registered, swappable parts: ``backbone`` (encoder on the visible tokens, e.g.
    :class:`MaskedVisionTransformer`), ``neck`` (decoder, e.g. :class:`VideoMAEDecoder`) and
    ``heads`` (targets and losses, e.g. :class:`PixelReconstructionHead` and
    :class:`MotionReconstructionHead`). It follows mmaction2's recognizer contract: the
    ``data_preprocessor`` stacks and normalises the clips to ``(B, num_clips, C, T, H, W)``;
    ``forward(inputs, data_samples, mode, masks)``. The reconstruction targets undo the
    preprocessor's normalisation (its ``mean``/``std``).

    The encoder and the decoder run once per batch; every head gets the same
    :class:`~signmae_mm.models.utils.MAEOutputs` (clips, pixels, masks, encoder tokens, and the
    decoder's tokens and pixel predictions, as far as some head ``reads`` them), builds its own
    target and returns its own weighted loss (``loss_rec``, ``loss_motion``, ...), as
    mmpretrain's algorithms hand their head the prediction and the input. mmengine's
    ``parse_losses`` sums them. A neck that returns decoded tokens takes
    ``output='tokens'|'both'`` (:class:`VideoMAEDecoder`).

    The token masks come in as ``masks`` only: :class:`MaskedVideoDataPreprocessor` stacks the
    data samples' ``mask`` into it. They are checked here, once (bool, ``(B, N)`` with the
    clip's token count, the same number masked per clip: :meth:`check_masks`); the encoder,
    decoder and head take the checked masks and their count.

    The checkpoint's ``backbone.*`` keys load into mmaction2's stock ``VisionTransformer`` for
    finetuning (see :class:`MaskedVisionTransformer` for the ``norm``/``fc_norm`` exception).

    Args:
        backbone (dict): Encoder config; called as ``backbone(video, mask)``.
        neck (dict): Decoder config; called as ``neck(tokens, mask, target_mask, num_targets)``.
            ``img_size``, ``patch_size``, ``num_frames``, ``tubelet_size`` and
            ``encoder_embed_dims`` default to the backbone's.
        head (dict, optional): One loss head (:class:`BaseMAEHead`): the same as
            ``heads=[head]``, the form of the one-target configs. Give ``head`` or ``heads``;
            a config that inherits ``head`` and states ``heads`` sets ``head=None``.
        heads (list[dict], optional): Loss heads (:class:`BaseMAEHead`), each called as
            ``head.loss(outputs, data_samples)``, with distinct ``loss_name``. Where a head's
            ``__init__`` takes them, ``patch_size`` and ``tubelet_size`` default to the
            backbone's and ``in_channels`` to the neck's ``embed_dims``. The heads are
            ``heads.<i>`` in the state dict; the pixel head has no parameters, so one-head
            checkpoints written before ``heads`` existed load unchanged.
        decoder_keep_ratio (float, optional): Dual masking (VideoMAE V2): during training the
            decoder reconstructs only a running-cell pattern keeping this fraction of the
            tokens (0.25, 0.5 or 0.75), and the loss counts the tokens both masked by the
            encoder and kept by the decoder. None (default) reconstructs every masked token.
        data_preprocessor (dict, optional): Defaults to :class:`MaskedVideoDataPreprocessor`
            (mmaction2's ``ActionDataPreprocessor``, NCTHW, no normalisation, that also
            stacks the masks).
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 backbone: ConfigType,
                 neck: ConfigType,
                 head: OptConfigType = None,
                 heads: Optional[List[ConfigType]] = None,
                 decoder_keep_ratio: Optional[float] = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptConfigType = None) -> None:
        if data_preprocessor is None:
            data_preprocessor = dict(type='MaskedVideoDataPreprocessor', format_shape='NCTHW')
        if isinstance(data_preprocessor, dict):
            # Build from mmaction's registry: works with or without a default scope.
            data_preprocessor = MODELS.build(data_preprocessor)
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        # Clip geometry is set once, on the backbone; the decoder and the heads get it from
        # there unless their configs set it (so one --cfg-options override resizes all).
        geometry = self._backbone_geometry()
        neck = dict(neck)
        for key in ('img_size', 'patch_size', 'num_frames', 'tubelet_size', 'encoder_embed_dims'):
            if key in geometry:
                neck.setdefault(key, geometry[key])
        self.neck = MODELS.build(neck)
        head_defaults = {k: geometry[k] for k in ('patch_size', 'tubelet_size') if k in geometry}
        if getattr(self.neck, 'embed_dims', None) is not None:
            head_defaults['in_channels'] = self.neck.embed_dims
        self.heads = ModuleList(
            MODELS.build(self._with_defaults(cfg, head_defaults))
            for cfg in self._head_configs(head, heads))
        names = [getattr(h, 'loss_name', None) for h in self.heads]
        if len(set(names)) != len(names):
            raise ValueError(f'the heads must log distinct losses, got loss_name {names}')
        # What the decoder computes: the outputs some head reads (a head without `reads`
        # is taken to read the pixel predictions, as the one-head pretrainer gave it).
        self._decoder_reads = {
            name for h in self.heads for name in getattr(h, 'reads', ('pred', ))
        } & set(DECODER_OUTPUTS)
        if decoder_keep_ratio is not None:
            running_cell_patterns((1, 2, 2), decoder_keep_ratio)  # validates the ratio
        self.decoder_keep_ratio = decoder_keep_ratio
        self._cell_cache: Dict[tuple, Tensor] = {}

    @staticmethod
    def _head_configs(head: OptConfigType,
                      heads: Optional[List[ConfigType]]) -> List[ConfigType]:
        if (head is None) == (heads is None):
            raise ValueError('VideoMAEPretrainer takes `head` (one loss head) or `heads` (a '
                             'list), not both and not neither; a config that inherits `head` '
                             'and states `heads` sets head=None')
        heads = [head] if heads is None else list(heads)
        if not heads:
            raise ValueError('VideoMAEPretrainer needs at least one loss head')
        return heads

    @staticmethod
    def _with_defaults(cfg: ConfigType, defaults: dict) -> dict:
        """``cfg`` with the ``defaults`` its type's ``__init__`` takes and it does not set."""
        cfg = dict(cfg)
        head_type = cfg.get('type')
        head_cls = MODELS.get(head_type) if isinstance(head_type, str) else head_type
        if head_cls is None:
            return cfg  # MODELS.build names the unknown type
        params = inspect.signature(head_cls.__init__).parameters.values()
        takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params)
        names = {p.name for p in params}
        for key, value in defaults.items():
            if takes_any or key in names:
                cfg.setdefault(key, value)
        return cfg

    @property
    def head(self) -> BaseModule:
        """The first of :attr:`heads`: the one head of the one-head form (``head=``), the pixel
        head in the configs of the tree; what the reconstruction visualisation reads."""
        return self.heads[0]

    def _backbone_geometry(self) -> dict:
        backbone = self.backbone
        geometry = dict(
            patch_size=getattr(backbone, 'patch_size', None),
            tubelet_size=getattr(backbone, 'tubelet_size', None),
            num_frames=getattr(backbone, 'num_frames', None),
            encoder_embed_dims=getattr(backbone, 'embed_dims', None))
        if hasattr(backbone, 'grid_size') and geometry['patch_size']:
            geometry['img_size'] = backbone.grid_size[0] * geometry['patch_size']
        return {k: v for k, v in geometry.items() if v is not None}

    # ------------------------------------------------------------------ inputs
    @staticmethod
    def _flatten_clips(inputs: Tensor) -> Tensor:
        """``(B, num_clips, C, T, H, W)`` or ``(B, C, T, H, W)`` -> ``(B', C, T, H, W)``."""
        if inputs.ndim == 6:
            return inputs.flatten(0, 1)
        if inputs.ndim != 5:
            raise ValueError(f'inputs must be (B, num_clips, C, T, H, W) or (B, C, T, H, W), got '
                             f'{tuple(inputs.shape)}')
        return inputs

    def _grid(self, video: Tensor) -> tuple:
        return token_grid(video.shape[2:], self.backbone.tubelet_size, self.backbone.patch_size)

    def check_masks(self, masks: Union[Tensor, np.ndarray],
                    video: Tensor) -> Tuple[Tensor, int]:
        """The one check of the encoder masks, before anything uses them.

        Args:
            masks (Tensor | np.ndarray): ``(B, N)`` (or ``(B, 1, N)``, one clip per sample)
                bool, True = masked.
            video (Tensor): ``(B, C, T, H, W)`` clips.

        Returns:
            tuple[Tensor, int]: The ``(B, N)`` bool masks on the clips' device and the number
            of masked tokens per clip.

        Raises:
            TypeError: The masks are not bool.
            ValueError: Not ``(B, N)`` with ``N`` the clips' token count, or unequal counts.
        """
        masks = torch.as_tensor(masks, device=video.device)
        if masks.ndim == 3 and masks.shape[1] == 1:
            masks = masks.flatten(1)  # one clip per sample, (B, 1, N)
        t, h, w = self._grid(video)
        return masks, check_token_mask(masks, video.shape[0], t * h * w)

    def _masks(self, masks: Optional[Union[Tensor, np.ndarray]],
               data_samples: Optional[SampleList], video: Tensor,
               mode: str) -> Tuple[Optional[Tensor], int]:
        """``(masks, num_masked)`` after :meth:`check_masks`; ``(None, 0)`` in ``tensor`` mode
        without masks."""
        if masks is not None:
            return self.check_masks(masks, video)
        if data_samples and any('mask' in ds for ds in data_samples):
            raise ValueError(_UNSTACKED_MASK.format(name=type(self.data_preprocessor).__name__))
        if mode != 'tensor':
            raise ValueError(_MISSING_MASK.format(mode=mode))
        return None, 0

    def _target_mask(self, masks: Tensor, grid: tuple) -> Optional[Tensor]:
        """Running-cell decoder mask for dual masking, one random phase per clip."""
        if self.decoder_keep_ratio is None or not self.training:
            return None
        key = (grid, str(masks.device))
        if key not in self._cell_cache:
            self._cell_cache[key] = running_cell_patterns(grid, self.decoder_keep_ratio,
                                                          masks.device)
        patterns = self._cell_cache[key]
        counts = patterns.sum(dim=1)
        if bool((counts == counts[0]).all()):
            phase = torch.randint(len(patterns), (masks.shape[0], ), device=masks.device)
        else:
            # Odd grids: phases keep different counts; one phase per batch keeps rows equal.
            phase = torch.randint(len(patterns), (1, ), device=masks.device).expand(
                masks.shape[0])
        return patterns[phase]

    def pixels(self, video: Tensor) -> Tensor:
        """Undo the data preprocessor's normalisation: ``video * std + mean`` in float32.

        Args:
            video (Tensor): ``(B, C, T, H, W)`` normalised clips.

        Returns:
            Tensor: ``(B, C, T, H, W)`` pixel values (0-255 for mmaction2's uint8 frames).
        """
        preprocessor = self.data_preprocessor
        video = video.float()
        if not getattr(preprocessor, '_enable_normalize', hasattr(preprocessor, 'mean')):
            return video
        mean = preprocessor.mean.reshape(1, -1, 1, 1, 1).to(video)
        std = preprocessor.std.reshape(1, -1, 1, 1, 1).to(video)
        return video * std + mean

    # ----------------------------------------------------------------- modes
    def forward(self,
                inputs: Tensor,
                data_samples: Optional[SampleList] = None,
                mode: str = 'tensor',
                masks: Optional[Tensor] = None) -> Union[Dict[str, Tensor], SampleList, Tensor]:
        """Run in one of mmengine's modes.

        Args:
            inputs (Tensor): ``(B, num_clips, C, T, H, W)`` normalised clips (``num_clips`` 1)
                or ``(B, C, T, H, W)``.
            data_samples (list[ActionDataSample], optional): May carry ``mask`` per sample.
            mode (str): ``'loss'``, ``'predict'`` or ``'tensor'``. Defaults to ``'tensor'``.
            masks (Tensor, optional): ``(B, N)`` bool, True = masked; the same count per row
                (the preprocessor's ``masks``; checked by :meth:`check_masks`).

        Returns:
            dict | list | Tensor: ``loss``: every head's losses, e.g. ``dict(loss_rec=...,
            floor_rec=..., loss_motion=...)``. ``predict``: the data samples with each head's
            fields: the pixel head's ``pred_pixels`` ``(N_masked, D)`` (reconstructed pixel
            values of the masked tubelets, layout ``(pt, ph, pw, C)``) and ``loss_rec`` (per
            clip), the motion head's ``loss_motion``. ``tensor``: the decoder's pixel
            predictions ``(B, N_masked, D)`` if a mask is given, else the encoder's tokens
            ``(B, N, C)`` of the unmasked clip.
        """
        if mode == 'loss':
            return self.loss(inputs, data_samples, masks)
        if mode == 'predict':
            return self.predict(inputs, data_samples, masks)
        if mode == 'tensor':
            return self._forward(inputs, data_samples, masks)
        raise RuntimeError(f'Invalid mode "{mode}"; only "loss", "predict" and "tensor" are '
                           'supported')

    def extract_feat(self, inputs: Tensor, masks: Optional[Tensor] = None) -> Tensor:
        """Encoder tokens ``(B, N_visible, C)`` of the visible (or, without mask, all) tokens."""
        video = self._flatten_clips(inputs)
        if masks is None:
            return self.backbone(video, None)
        masks, num_masked = self.check_masks(masks, video)
        return self.backbone(video, masks, num_masked)

    def encode_decode(self,
                      video: Tensor,
                      masks: Tensor,
                      num_masked: int,
                      target_mask: Optional[Tensor] = None,
                      reads: Optional[set] = None) -> MAEOutputs:
        """Run the encoder on the visible tokens and the decoder on the target positions.

        Args:
            video (Tensor): ``(B, C, T, H, W)`` normalised clips.
            masks (Tensor): ``(B, N)`` checked encoder masks (:meth:`check_masks`).
            num_masked (int): Masked tokens per clip.
            target_mask (Tensor, optional): ``(B, N)`` decoder positions (dual masking);
                defaults to ``masks``.
            reads (set[str], optional): Decoder outputs to compute, of ``{'decoded',
                'pred'}``. Defaults to those the heads read.

        Returns:
            MAEOutputs: What the heads read; ``pixels`` is :meth:`pixels` of ``video``.
        """
        # Running-cell patterns keep the same count in every row of a batch.
        num_targets = None if target_mask is None else int(target_mask[0].sum())
        latent = self.backbone(video, masks, num_masked)
        outputs = MAEOutputs(
            video=video,
            pixels=self.pixels(video),
            mask=masks,
            target_mask=masks if target_mask is None else target_mask,
            latent=latent)
        reads = self._decoder_reads if reads is None else reads
        if 'decoded' in reads:
            # A neck with more than pixel predictions (VideoMAEDecoder's `output`).
            output = 'both' if 'pred' in reads else 'tokens'
            decoded = self.neck(latent, masks, target_mask, num_targets, output=output)
            if output == 'both':
                outputs.decoded, outputs.pred = decoded
            else:
                outputs.decoded = decoded
        elif 'pred' in reads:
            outputs.pred = self.neck(latent, masks, target_mask, num_targets)
        return outputs

    def loss(self, inputs: Tensor, data_samples: Optional[SampleList] = None,
             masks: Optional[Tensor] = None) -> Dict[str, Tensor]:
        """Every head's losses of a batch (see :meth:`forward`)."""
        video = self._flatten_clips(inputs)
        masks, num_masked = self._masks(masks, data_samples, video, 'loss')
        target_mask = self._target_mask(masks, self._grid(video))
        outputs = self.encode_decode(video, masks, num_masked, target_mask)
        losses: Dict[str, Tensor] = {}
        for head in self.heads:
            head_losses = head.loss(outputs, data_samples)
            clash = set(head_losses) & set(losses)
            if clash:
                raise ValueError(f'{type(head).__name__} logs {sorted(clash)}, which another '
                                 'head logs too')
            losses.update(head_losses)
        return losses

    def predict(self, inputs: Tensor, data_samples: Optional[SampleList] = None,
                masks: Optional[Tensor] = None) -> SampleList:
        """Reconstruct the masked tokens; each head attaches its results to the samples."""
        video = self._flatten_clips(inputs)
        masks, num_masked = self._masks(masks, data_samples, video, 'predict')
        outputs = self.encode_decode(video, masks, num_masked, None)
        if data_samples is None:
            data_samples = [ActionDataSample() for _ in range(video.shape[0])]
        for head in self.heads:
            head.predict(outputs, data_samples)
        return data_samples

    def _forward(self, inputs: Tensor, data_samples: Optional[SampleList] = None,
                 masks: Optional[Tensor] = None) -> Tensor:
        video = self._flatten_clips(inputs)
        masks, num_masked = self._masks(masks, data_samples, video, 'tensor')
        if masks is None:
            return self.backbone(video, None)
        return self.encode_decode(video, masks, num_masked, None, reads={'pred'}).pred
