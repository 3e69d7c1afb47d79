"""VideoMAE's decoder: mask tokens + fixed position embeddings -> pixels of the hidden tubelets."""
from typing import Dict, List, Optional, Tuple, Union

import torch
from mmaction.models.backbones.vit_mae import Block, get_sinusoid_encoding
from mmaction.registry import MODELS
from mmaction.utils import ConfigType
from mmcv.cnn import build_norm_layer
from mmengine.model import BaseModule, ModuleList
from torch import Tensor, nn

from ..utils.sdpa_attention import use_sdpa_attention
from ..utils.tokens import select_tokens

__all__ = ['VideoMAEDecoder']


@MODELS.register_module()
class VideoMAEDecoder(BaseModule):
    """The narrow transformer that reconstructs the masked tubelets (VideoMAE / VideoMAE V2).

    The visible encoder tokens are projected to the decoder width by a bias-free linear
    (``encoder_to_decoder``), get the decoder's fixed sinusoidal position embeddings of their
    positions, and are followed by one learnable ``mask_token`` (plus its position embedding)
    per token to reconstruct. The blocks see that whole sequence; only the outputs of the
    reconstructed tokens pass ``norm`` and ``head``, a linear to the pixels of one tubelet in
    VideoMAE's layout ``(tubelet, patch, patch, channels)``. As in VideoMAE, visible tokens are
    not put back in place: position embeddings carry the order.

    Parameter names follow VideoMAE's ``decoder.*`` / ``encoder_to_decoder`` / ``mask_token``
    with mmaction2's block layout, so official checkpoints convert one to one
    (``tools/convert_videomae_checkpoint.py``).

    Args:
        img_size (int): Clip height and width. Defaults to 224.
        patch_size (int): Token side in pixels. Defaults to 16.
        num_frames (int): Clip length T. Defaults to 16.
        tubelet_size (int): Frames per token. Defaults to 2.
        out_channels (int): Pixel channels to predict. Defaults to 3.
        encoder_embed_dims (int): Width of the encoder tokens. Defaults to 768.
        embed_dims (int): Decoder width. Defaults to 384 (ViT-B's VideoMAE decoder).
        depth (int): Number of blocks. Defaults to 4.
        num_heads (int): Attention heads. Defaults to 6.
        mlp_ratio (float): MLP hidden width / ``embed_dims``. Defaults to 4.
        qkv_bias (bool): Learnable q and v biases. Defaults to True.
        qk_scale (float, optional): Attention scale; ``head_dims ** -0.5`` if None.
        drop_rate (float): Dropout after projections. Defaults to 0.
        attn_drop_rate (float): Attention dropout. Defaults to 0.
        drop_path_rate (float): Stochastic depth, linearly increasing. Defaults to 0.
        norm_cfg (dict): Norm layers. Defaults to ``dict(type='LN', eps=1e-6)``.
        init_values (float): LayerScale init; 0 disables it. Defaults to 0.
        use_sdpa (bool): Attention by ``scaled_dot_product_attention``. Defaults to True.
        init_cfg (dict | list[dict], optional): Defaults to VideoMAE's init (Xavier-uniform
            linears, unit LayerNorms); ``mask_token`` is drawn from N(0, 0.02) in
            :meth:`init_weights`.
    """

    def __init__(self,
                 img_size: int = 224,
                 patch_size: int = 16,
                 num_frames: int = 16,
                 tubelet_size: int = 2,
                 out_channels: int = 3,
                 encoder_embed_dims: int = 768,
                 embed_dims: int = 384,
                 depth: int = 4,
                 num_heads: int = 6,
                 mlp_ratio: float = 4.,
                 qkv_bias: bool = True,
                 qk_scale: Optional[float] = None,
                 drop_rate: float = 0.,
                 attn_drop_rate: float = 0.,
                 drop_path_rate: float = 0.,
                 norm_cfg: ConfigType = dict(type='LN', eps=1e-6),
                 init_values: float = 0.,
                 use_sdpa: bool = True,
                 init_cfg: Optional[Union[Dict, List[Dict]]] = [
                     dict(type='Xavier', layer='Linear', distribution='uniform', bias=0.),
                     dict(type='Constant', layer='LayerNorm', val=1., bias=0.)
                 ]) -> None:
        super().__init__(init_cfg=init_cfg)
        self.embed_dims = embed_dims
        self.num_tokens = (num_frames // tubelet_size) * (img_size // patch_size)**2
        self.out_dims = out_channels * tubelet_size * patch_size**2

        self.encoder_to_decoder = nn.Linear(encoder_embed_dims, embed_dims, bias=False)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, embed_dims))
        # Fixed, so not saved: VideoMAE's checkpoints do not hold it either.
        self.register_buffer(
            'pos_embed', get_sinusoid_encoding(self.num_tokens, embed_dims), persistent=False)

        dpr = [x.item() for x in torch.linspace(0, drop_path_rate, depth)]
        self.blocks = ModuleList([
            Block(
                embed_dims=embed_dims,
                num_heads=num_heads,
                mlp_ratio=mlp_ratio,
                qkv_bias=qkv_bias,
                qk_scale=qk_scale,
                drop_rate=drop_rate,
                attn_drop_rate=attn_drop_rate,
                drop_path_rate=dpr[i],
                norm_cfg=norm_cfg,
                init_values=init_values) for i in range(depth)
        ])
        if use_sdpa:
            use_sdpa_attention(self.blocks)
        self.norm = build_norm_layer(norm_cfg, embed_dims)[1]
        self.head = nn.Linear(embed_dims, self.out_dims)

    def init_weights(self) -> None:
        """Initialise by ``init_cfg``, then the mask token as VideoMAE does."""
        super().init_weights()
        if not (isinstance(self.init_cfg, dict) and self.init_cfg.get('type') == 'Pretrained'):
            nn.init.trunc_normal_(self.mask_token, std=.02, a=-.02, b=.02)

    def forward(self,
                visible_tokens: Tensor,
                mask: Tensor,
                target_mask: Optional[Tensor] = None,
                num_targets: Optional[int] = None,
                output: str = 'pixels') -> Union[Tensor, Tuple[Tensor, Tensor]]:
        """Predict the pixels of the target tokens: ``head(decode(...))``.

        Args:
            visible_tokens (Tensor): ``(B, N_visible, encoder_embed_dims)``; see :meth:`decode`.
            mask (Tensor): ``(B, N)`` bool encoder mask, True = masked.
            target_mask (Tensor, optional): ``(B, N)`` bool; see :meth:`decode`.
            num_targets (int, optional): True entries per row of ``target_mask``.
            output (str): ``'pixels'`` (default), ``'tokens'`` (:meth:`decode`'s, without
                ``head``: for loss heads with their own projection) or ``'both'``. Through
                ``forward`` rather than :meth:`decode` so that what wraps the forward (CPU
                autocast, FSDP, hooks) wraps all of it.

        Returns:
            Tensor | tuple[Tensor, Tensor]: ``(B, N_targets, out_channels * tubelet * patch *
            patch)`` pixel predictions, ``(B, N_targets, embed_dims)`` tokens, or both
            ``(tokens, pixels)``; in the (t, h, w) order of the target positions.
        """
        if output not in ('pixels', 'tokens', 'both'):
            raise ValueError(f"output must be 'pixels', 'tokens' or 'both', got {output!r}")
        tokens = self.decode(visible_tokens, mask, target_mask, num_targets)
        if output == 'tokens':
            return tokens
        pixels = self.head(tokens)
        return (tokens, pixels) if output == 'both' else pixels

    def decode(self,
               visible_tokens: Tensor,
               mask: Tensor,
               target_mask: Optional[Tensor] = None,
               num_targets: Optional[int] = None) -> Tensor:
        """The decoded tokens of the target positions, after the last norm and before ``head``.

        A loss head with a target of its own (e.g. :class:`MotionReconstructionHead`) projects
        these with its own linear, beside ``head``'s pixels.

        Args:
            visible_tokens (Tensor): ``(B, N_visible, encoder_embed_dims)`` encoder output, in
                the (t, h, w) order of the positions where ``mask`` is False.
            mask (Tensor): ``(B, N)`` bool encoder mask, True = masked.
            target_mask (Tensor, optional): ``(B, N)`` bool, True = a token to reconstruct.
                Defaults to ``mask`` (VideoMAE). With dual masking (VideoMAE V2) it is the
                decoder's running-cell pattern, which may include visible positions.
            num_targets (int, optional): True entries per row of ``target_mask``; counted if
                None.

        Returns:
            Tensor: ``(B, N_targets, embed_dims)`` tokens, in the (t, h, w) order of the target
            positions.
        """
        b, num_visible, _ = visible_tokens.shape
        # The masks are checked by VideoMAEPretrainer; a clip of another size would still
        # gather the fixed position embeddings at wrong positions without any error.
        if mask.shape[1] != self.num_tokens:
            raise ValueError(f'the decoder was built for {self.num_tokens} tokens (img_size, '
                             f'num_frames, patch/tubelet size) but the mask has {mask.shape[1]}')
        if target_mask is None:
            target_mask = mask
            num_targets = self.num_tokens - num_visible
        elif num_targets is None:
            num_targets = int(target_mask[0].sum())
        x = self.encoder_to_decoder(visible_tokens)
        pos_embed = self.pos_embed.to(x.dtype)
        x_visible = x + select_tokens(pos_embed, ~mask, num_visible)
        x_target = self.mask_token.to(x.dtype) + select_tokens(pos_embed, target_mask,
                                                               num_targets)
        x = torch.cat([x_visible, x_target], dim=1)
        for block in self.blocks:
            x = block(x)
        return self.norm(x[:, num_visible:])
