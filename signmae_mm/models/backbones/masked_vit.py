"""The pretraining encoder: mmaction2's ``VisionTransformer`` run on the visible tokens only."""
from typing import Dict, List, Optional, Union

import torch.nn.functional as F
from mmaction.models.backbones.vit_mae import VisionTransformer
from mmaction.registry import MODELS
from mmaction.utils import ConfigType
from torch import Tensor

from ..utils.sdpa_attention import use_sdpa_attention
from ..utils.tokens import check_token_mask, patchify, select_tokens, token_grid

__all__ = ['MaskedVisionTransformer']


@MODELS.register_module()
class MaskedVisionTransformer(VisionTransformer):
    """VideoMAE's pretraining encoder with the weights of mmaction2's ``VisionTransformer``.

    A subclass of mmaction2's ``VisionTransformer`` that builds the very same modules
    (``patch_embed.projection``, ``pos_embed``, ``blocks.N.{norm1, attn.{qkv, q_bias, v_bias,
    proj}, norm2, mlp.layers}``) and so has the same parameter names and shapes, with three
    differences:

    * ``forward(x, mask)`` embeds and encodes only the visible tokens (``mask`` False); the
      patch embedding runs as a matrix product on the visible tubelets, which equals the
      ``Conv3d`` on those positions.
    * Attention runs through ``scaled_dot_product_attention`` (:class:`SDPAAttention`).
    * **The norm exception.** As in VideoMAE's pretraining encoder, the tokens end in a
      LayerNorm, ``norm`` (mmaction2's ``use_mean_pooling=False`` layout), which feeds the
      decoder. A finetuning ``VisionTransformer`` with mean pooling (``use_mean_pooling=True``,
      mmaction2's default and VideoMAE's finetuning recipe) has ``norm = Identity`` and a fresh
      ``fc_norm`` after the pooling instead. Loading a pretraining checkpoint there therefore
      reports exactly ``norm.weight``/``norm.bias`` as unexpected and ``fc_norm.weight``/
      ``fc_norm.bias`` as missing, and nothing else.

    Args:
        img_size (int): Clip height and width. Defaults to 224.
        patch_size (int): Token side in pixels. Defaults to 16.
        in_channels (int): Input channels. Defaults to 3.
        embed_dims (int): Token width. Defaults to 768.
        depth (int): Number of blocks. Defaults to 12.
        num_heads (int): Attention heads. Defaults to 12.
        mlp_ratio (float): MLP hidden width / ``embed_dims``. Defaults to 4.
        qkv_bias (bool): Learnable q and v biases. Defaults to True.
        qk_scale (float, optional): Attention scale; ``head_dims ** -0.5`` if None.
        drop_rate (float): Dropout after attention/MLP projections. Defaults to 0.
        attn_drop_rate (float): Attention dropout. Defaults to 0.
        drop_path_rate (float): Stochastic depth, linearly increasing. Defaults to 0.
        norm_cfg (dict): Norm layers. Defaults to ``dict(type='LN', eps=1e-6)``.
        init_values (float): LayerScale init; 0 disables it. Defaults to 0.
        use_learnable_pos_emb (bool): Learnable instead of fixed sinusoidal position
            embeddings. Defaults to False.
        num_frames (int): Clip length T. Defaults to 16.
        tubelet_size (int): Frames per token. Defaults to 2.
        use_sdpa (bool): Attention by SDPA; False keeps mmaction2's explicit attention.
            Defaults to True.
        init_cfg (dict | list[dict], optional): Defaults to VideoMAE's pretraining init
            (Xavier-uniform linears, unit LayerNorms).
    """

    def __init__(self,
                 img_size: int = 224,
                 patch_size: int = 16,
                 in_channels: int = 3,
                 embed_dims: int = 768,
                 depth: int = 12,
                 num_heads: int = 12,
                 mlp_ratio: float = 4.,
                 qkv_bias: bool = True,
                 qk_scale: Optional[float] = None,
                 drop_rate: float = 0.,
                 attn_drop_rate: float = 0.,
                 drop_path_rate: float = 0.,
                 norm_cfg: ConfigType = dict(type='LN', eps=1e-6),
                 init_values: float = 0.,
                 use_learnable_pos_emb: bool = False,
                 num_frames: int = 16,
                 tubelet_size: int = 2,
                 use_sdpa: bool = True,
                 init_cfg: Optional[Union[Dict, List[Dict]]] = [
                     dict(type='Xavier', layer='Linear', distribution='uniform', bias=0.),
                     dict(type='Constant', layer='LayerNorm', val=1., bias=0.)
                 ]) -> None:
        super().__init__(
            img_size=img_size,
            patch_size=patch_size,
            in_channels=in_channels,
            embed_dims=embed_dims,
            depth=depth,
            num_heads=num_heads,
            mlp_ratio=mlp_ratio,
            qkv_bias=qkv_bias,
            qk_scale=qk_scale,
            drop_rate=drop_rate,
            attn_drop_rate=attn_drop_rate,
            drop_path_rate=drop_path_rate,
            norm_cfg=norm_cfg,
            init_values=init_values,
            use_learnable_pos_emb=use_learnable_pos_emb,
            num_frames=num_frames,
            tubelet_size=tubelet_size,
            # VideoMAE's pretraining encoder ends in `norm` (see the class docstring).
            use_mean_pooling=False,
            return_feat_map=False,
            init_cfg=init_cfg)
        self.tubelet_size = tubelet_size
        self.num_frames = num_frames
        if use_sdpa:
            use_sdpa_attention(self.blocks)

    def pos_embed_for(self, grid_hw: tuple) -> Tensor:
        """Position embeddings for a spatial token grid, resized like mmaction2's forward.

        Args:
            grid_hw (tuple): ``(h, w)`` tokens per frame.

        Returns:
            Tensor: ``(1, N, C)``.
        """
        if tuple(grid_hw) == tuple(self.grid_size):
            return self.pos_embed
        pos_embed = self.pos_embed.reshape(-1, *self.grid_size, self.embed_dims)
        pos_embed = F.interpolate(
            pos_embed.permute(0, 3, 1, 2), size=grid_hw, mode='bicubic', align_corners=False)
        return pos_embed.permute(0, 2, 3, 1).reshape(1, -1, self.embed_dims)

    def forward(self, x: Tensor, mask: Optional[Tensor] = None,
                num_masked: Optional[int] = None) -> Tensor:
        """Encode the visible tokens of a batch of clips.

        Args:
            x (Tensor): ``(B, C, T, H, W)`` normalised clips.
            mask (Tensor, optional): ``(B, N)`` bool, True = masked (not encoded), with the
                same number of True entries per row. None encodes all N tokens.
            num_masked (int, optional): True entries per row of ``mask``, from the caller's
                check of it (``VideoMAEPretrainer.check_masks``). None: ``mask`` is checked
                here (:func:`check_token_mask`).

        Returns:
            Tensor: ``(B, N_visible, embed_dims)`` tokens after the final ``norm``, in the
            (t, h, w) order of the visible positions.
        """
        b, _, t, h, w = x.shape
        grid = token_grid((t, h, w), self.tubelet_size, self.patch_size)
        pos_embed = self.pos_embed_for(grid[1:])
        if mask is None:
            tokens = self.patch_embed(x)[0] + pos_embed
        else:
            num_tokens = grid[0] * grid[1] * grid[2]
            if num_masked is None:
                num_masked = check_token_mask(mask, b, num_tokens)
            elif tuple(mask.shape) != (b, num_tokens):
                # A shorter mask would gather other tubelets without any error.
                raise ValueError(f'mask {tuple(mask.shape)} does not fit the {num_tokens} tokens '
                                 f'of {b} clips')
            num_visible = num_tokens - num_masked
            visible = ~mask
            # Embed only the visible tubelets: Conv3d with kernel == stride is a linear map
            # of each tubelet, so this equals the convolution at those positions while
            # skipping the ~90% of the clip that the encoder never sees.
            patches = select_tokens(
                patchify(x, self.tubelet_size, self.patch_size, channel_last=False), visible,
                num_visible)
            proj = self.patch_embed.projection
            tokens = F.linear(patches, proj.weight.flatten(1), proj.bias)
            tokens = tokens + select_tokens(pos_embed.to(tokens.dtype), visible, num_visible)
        tokens = self.pos_drop(tokens)
        for block in self.blocks:
            tokens = block(tokens)
        return self.norm(tokens)
