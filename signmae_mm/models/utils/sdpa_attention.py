"""mmaction2's ViT attention run by ``torch.nn.functional.scaled_dot_product_attention``.

The module subclasses mmaction2's own ``Attention`` (``mmaction.models.backbones.vit_mae``)
and changes only ``forward``: parameter names and shapes (``qkv.weight``, ``q_bias``,
``v_bias``, ``proj``) stay those of the stock module, so state dicts move freely between our
encoder and mmaction2's ``VisionTransformer``. On a GPU, SDPA picks the flash or
memory-efficient kernel; on the CPU, its fused kernel; either way the ``(B, heads, N, N)``
attention matrix is not kept for the backward pass.
"""
from typing import Iterable

import torch
import torch.nn.functional as F
from mmaction.models.backbones.vit_mae import Attention, Block
from torch import Tensor

__all__ = ['SDPAAttention', 'build_sdpa_block', 'use_sdpa_attention']


class SDPAAttention(Attention):
    """Multi-head self-attention with mmaction2's ``Attention`` parameters, computed by SDPA.

    Args: as mmaction2's ``Attention``: ``embed_dims``, ``num_heads``, ``qkv_bias`` (learnable
    q and v biases; the k bias is fixed at zero, as in VideoMAE/BEiT, since softmax ignores it),
    ``qk_scale``, ``attn_drop_rate``, ``drop_rate``, ``init_cfg``.
    """

    @classmethod
    def from_attention(cls, attn: Attention) -> 'SDPAAttention':
        """A copy of a stock ``Attention`` (same settings and parameter values).

        Args:
            attn (Attention): mmaction2's attention module.

        Returns:
            SDPAAttention: The replacement.
        """
        new = cls(
            attn.embed_dims,
            num_heads=attn.num_heads,
            qkv_bias=hasattr(attn, 'q_bias'),
            qk_scale=attn.scale,
            attn_drop_rate=attn.attn_drop.p,
            drop_rate=attn.proj_drop.p)
        new.load_state_dict(attn.state_dict())
        return new.to(attn.qkv.weight.device)

    def forward(self, x: Tensor) -> Tensor:
        """Attend over the tokens.

        Args:
            x (Tensor): ``(B, N, C)`` tokens.

        Returns:
            Tensor: ``(B, N, C)``.
        """
        b, n, _ = x.shape
        bias = None
        if hasattr(self, 'q_bias'):
            bias = torch.cat((self.q_bias, torch.zeros_like(self.v_bias), self.v_bias))
        qkv = F.linear(x, self.qkv.weight, bias)
        q, k, v = qkv.reshape(b, n, 3, self.num_heads, -1).permute(2, 0, 3, 1, 4).unbind(0)
        x = F.scaled_dot_product_attention(
            q, k, v, dropout_p=self.attn_drop.p if self.training else 0., scale=self.scale)
        x = x.transpose(1, 2).reshape(b, n, -1)
        return self.proj_drop(self.proj(x))


def use_sdpa_attention(blocks: Iterable[Block]) -> None:
    """Replace, in place, the stock attention of each mmaction2 ViT ``Block`` by SDPA.

    Args:
        blocks (Iterable[Block]): Blocks of an mmaction2 ``VisionTransformer`` (or ours).
    """
    for block in blocks:
        if type(block.attn) is Attention:
            block.attn = SDPAAttention.from_attention(block.attn)


def build_sdpa_block(**kwargs) -> Block:
    """An mmaction2 ViT ``Block`` whose attention runs through SDPA.

    Args:
        **kwargs: Arguments of mmaction2's ``Block`` (``embed_dims``, ``num_heads``, ...).

    Returns:
        Block: The block.
    """
    block = Block(**kwargs)
    use_sdpa_attention([block])
    return block
