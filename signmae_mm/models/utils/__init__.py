"""Helpers shared by the SignMAE model parts (not registered modules).

* :mod:`.tokens`: token grids, masks, patchify and gathers on visible / masked tokens.
* :mod:`.sdpa_attention`: mmaction2's ViT attention computed by
  :func:`torch.nn.functional.scaled_dot_product_attention`, with identical parameters.
* :mod:`.mae_outputs`: what :class:`VideoMAEPretrainer` hands to its loss heads.
* :mod:`.checkpoint_conversion`: VideoMAE checkpoint layouts (official, Hugging Face, ours).
"""
from .mae_outputs import DECODER_OUTPUTS, MAEOutputs
from .sdpa_attention import SDPAAttention, build_sdpa_block, use_sdpa_attention
from .tokens import (check_token_mask, patchify, running_cell_patterns, select_tokens,
                     token_grid)

__all__ = [
    'DECODER_OUTPUTS', 'MAEOutputs', 'SDPAAttention', 'build_sdpa_block', 'check_token_mask',
    'patchify', 'running_cell_patterns', 'select_tokens', 'token_grid', 'use_sdpa_attention'
]
