"""MaskedVisionTransformer: stock mmaction2 weights layout, visible-token encoding, SDPA."""
import pytest
import torch

import signmae_mm  # noqa: F401  (compat fixes before mmaction.models)
from mmaction.models.backbones.vit_mae import Attention, VisionTransformer
from mmaction.registry import MODELS
from signmae_mm.models.utils import SDPAAttention, patchify, select_tokens

TINY = dict(img_size=32, patch_size=8, embed_dims=64, depth=2, num_heads=4, num_frames=8,
            tubelet_size=2)
NUM_TOKENS = 4 * 4 * 4


def _random_mask(batch: int, num_masked: int, generator=None) -> torch.Tensor:
    scores = torch.rand(batch, NUM_TOKENS, generator=generator)
    mask = torch.zeros(batch, NUM_TOKENS, dtype=torch.bool)
    mask.scatter_(1, scores.argsort(dim=1)[:, :num_masked], True)
    return mask


@pytest.fixture
def encoder():
    torch.manual_seed(0)
    model = MODELS.build(dict(type='MaskedVisionTransformer', **TINY))
    model.init_weights()
    with torch.no_grad():  # non-trivial biases, so that their placement is tested too
        for name, param in model.named_parameters():
            if name.endswith(('bias', 'q_bias', 'v_bias')):
                param.normal_(std=0.1)
    return model.eval()


def test_parameter_names_and_shapes_are_stock_vision_transformer(encoder):
    stock = VisionTransformer(**TINY)  # use_mean_pooling=True: mmaction2's finetuning layout
    ours = {k: tuple(v.shape) for k, v in encoder.state_dict().items()}
    theirs = {k: tuple(v.shape) for k, v in stock.state_dict().items()}
    # The one exception (VideoMAE's recipe): pretraining ends in `norm`, finetuning in `fc_norm`.
    assert set(ours) - set(theirs) == {'norm.weight', 'norm.bias'}
    assert set(theirs) - set(ours) == {'fc_norm.weight', 'fc_norm.bias'}
    assert {k: v for k, v in ours.items() if k in theirs} == {
        k: v for k, v in theirs.items() if k in ours}
    assert 'patch_embed.projection.weight' in ours and 'blocks.1.attn.q_bias' in ours
    # With mmaction2's use_mean_pooling=False layout the keys are identical.
    plain = VisionTransformer(**TINY, use_mean_pooling=False)
    assert set(plain.state_dict()) == set(ours)


def test_sdpa_attention_equals_stock_attention():
    torch.manual_seed(0)
    stock = Attention(64, num_heads=4, qkv_bias=True)
    with torch.no_grad():
        stock.q_bias.normal_()
        stock.v_bias.normal_()
    ours = SDPAAttention.from_attention(stock)
    assert isinstance(ours, Attention) and type(ours) is not Attention
    x = torch.randn(2, 10, 64)
    torch.testing.assert_close(ours(x), stock(x), atol=1e-5, rtol=1e-5)
    assert all(type(b.attn) is SDPAAttention for b in MODELS.build(
        dict(type='MaskedVisionTransformer', **TINY)).blocks)


def test_all_visible_mask_equals_unmasked_forward(encoder):
    x = torch.randn(2, 3, 8, 32, 32)
    with torch.no_grad():
        full = encoder(x)
        visible = encoder(x, torch.zeros(2, NUM_TOKENS, dtype=torch.bool))
    assert full.shape == (2, NUM_TOKENS, 64)
    # The mask path embeds tubelets by a matrix product instead of the Conv3d.
    torch.testing.assert_close(visible, full, atol=1e-5, rtol=1e-5)


def test_masked_forward_encodes_exactly_the_visible_tokens(encoder):
    x = torch.randn(3, 3, 8, 32, 32)
    mask = _random_mask(3, 48, torch.Generator().manual_seed(1))
    with torch.no_grad():
        out = encoder(x, mask)
        # Reference: stock Conv3d embedding of all tokens, then keep the visible ones.
        tokens = encoder.patch_embed(x)[0] + encoder.pos_embed
        ref = torch.stack([tokens[b][~mask[b]] for b in range(3)])
        for block in encoder.blocks:
            ref = block(ref)
        ref = encoder.norm(ref)
    assert out.shape == (3, 16, 64)
    torch.testing.assert_close(out, ref, atol=1e-5, rtol=1e-5)
    # The encoder never reads masked pixels.
    x2 = x.clone()
    grid = patchify(x2, 2, 8)
    grid[mask] = 100.
    x2 = grid.reshape(3, 4, 4, 4, 2, 8, 8, 3).permute(0, 7, 1, 4, 2, 5, 3, 6).reshape(x.shape)
    assert not torch.equal(x2, x)
    with torch.no_grad():
        torch.testing.assert_close(encoder(x2, mask), out)


def test_select_tokens_keeps_order():
    x = torch.arange(2 * 6).reshape(2, 6, 1).float()
    select = torch.tensor([[1, 0, 1, 0, 0, 1], [0, 1, 1, 1, 0, 0]], dtype=torch.bool)
    assert select_tokens(x, select, 3)[..., 0].tolist() == [[0, 2, 5], [7, 8, 9]]


def test_bad_masks_are_refused(encoder):
    x = torch.randn(2, 3, 8, 32, 32)
    uneven = torch.zeros(2, NUM_TOKENS, dtype=torch.bool)
    uneven[0, :10] = True
    uneven[1, :11] = True
    with pytest.raises(ValueError, match='same number'):
        encoder(x, uneven)
    with pytest.raises(ValueError, match=r'\(B, N\)'):
        encoder(x, torch.zeros(2, NUM_TOKENS - 1, dtype=torch.bool))
    with pytest.raises(TypeError, match='bool'):
        encoder(x, torch.zeros(2, NUM_TOKENS))
    with pytest.raises(ValueError, match='multiple'):
        encoder(torch.randn(2, 3, 8, 30, 32))
    # A count from the caller's check (VideoMAEPretrainer): only the shape is checked here.
    with pytest.raises(ValueError, match=f'does not fit the {NUM_TOKENS} tokens of 2 clips'):
        encoder(x, torch.zeros(2, NUM_TOKENS - 1, dtype=torch.bool), 0)
    even = torch.zeros(2, NUM_TOKENS, dtype=torch.bool)
    even[:, :10] = True
    assert torch.equal(encoder(x, even, 10), encoder(x, even))


def test_other_spatial_size_interpolates_position_embeddings(encoder):
    x = torch.randn(1, 3, 8, 48, 48)
    mask = torch.zeros(1, 4 * 6 * 6, dtype=torch.bool)
    mask[0, ::2] = True
    with torch.no_grad():
        assert encoder(x, mask).shape == (1, 72, 64)
