"""VideoMAEDecoder: shapes, mask tokens, dual masking sequence length."""
import pytest
import torch

import signmae_mm  # noqa: F401
from mmaction.registry import MODELS
from signmae_mm.models.utils import running_cell_patterns

NUM_TOKENS = 4 * 4 * 4
DECODER = dict(type='VideoMAEDecoder', img_size=32, patch_size=8, num_frames=8, tubelet_size=2,
               encoder_embed_dims=64, embed_dims=32, depth=2, num_heads=4)


def _mask(batch: int, num_masked: int, seed: int = 0) -> torch.Tensor:
    scores = torch.rand(batch, NUM_TOKENS, generator=torch.Generator().manual_seed(seed))
    mask = torch.zeros(batch, NUM_TOKENS, dtype=torch.bool)
    mask.scatter_(1, scores.argsort(dim=1)[:, :num_masked], True)
    return mask


@pytest.fixture
def decoder():
    torch.manual_seed(0)
    model = MODELS.build(DECODER)
    model.init_weights()
    return model.eval()


def _sequence_lengths(decoder):
    seen = []
    decoder.blocks[0].register_forward_hook(lambda m, args, out: seen.append(args[0].shape[1]))
    return seen


def test_predicts_pixels_of_masked_tokens(decoder):
    mask = _mask(2, 48)
    seen = _sequence_lengths(decoder)
    out = decoder(torch.randn(2, 16, 64), mask)
    assert out.shape == (2, 48, 2 * 8 * 8 * 3)
    assert seen == [NUM_TOKENS]
    assert 'pos_embed' not in decoder.state_dict()  # fixed, as in VideoMAE's checkpoints
    assert {'encoder_to_decoder.weight', 'mask_token', 'head.weight', 'norm.weight'} <= set(
        decoder.state_dict())
    assert decoder.encoder_to_decoder.bias is None
    assert decoder.mask_token.abs().sum() > 0  # drawn in init_weights


def test_returns_the_decoded_tokens_for_heads_with_their_own_projection(decoder):
    mask = _mask(2, 48)
    visible = torch.randn(2, 16, 64)
    pixels = decoder(visible, mask)
    tokens = decoder(visible, mask, output='tokens')
    assert tokens.shape == (2, 48, 32)
    torch.testing.assert_close(decoder.head(tokens), pixels)
    both = decoder(visible, mask, output='both')
    torch.testing.assert_close(both[0], tokens)
    torch.testing.assert_close(both[1], pixels)
    with pytest.raises(ValueError, match='output must be'):
        decoder(visible, mask, output='latent')


def test_target_mask_shortens_the_decoder_sequence(decoder):
    mask = _mask(2, 48)
    target = running_cell_patterns((4, 4, 4), 0.5)[torch.tensor([0, 1])]
    seen = _sequence_lengths(decoder)
    out = decoder(torch.randn(2, 16, 64), mask, target, 32)
    assert out.shape == (2, 32, 384)
    assert seen == [16 + 32]


def test_predictions_depend_on_visible_tokens_and_positions(decoder):
    tokens = torch.randn(1, 16, 64)
    mask = _mask(1, 48)
    out = decoder(tokens, mask)
    changed = tokens.clone()
    changed[0, 3] += 1.
    assert not torch.allclose(decoder(changed, mask), out)
    # Same visible tokens at other positions: different predictions (positions matter).
    assert not torch.allclose(decoder(tokens, _mask(1, 48, seed=1)), out)


def test_wrong_token_count_is_refused(decoder):
    with pytest.raises(ValueError, match='built for 64 tokens'):
        decoder(torch.randn(1, 4, 64), torch.zeros(1, 32, dtype=torch.bool))


def test_running_cell_patterns():
    patterns = running_cell_patterns((4, 2, 2), 0.5)
    assert patterns.shape == (4, 16)
    cells = patterns.reshape(4, 4, 2, 2)
    assert (cells.sum(dim=(2, 3)) == 2).all()  # 2 of each 2x2 cell, every time slot
    # The pattern runs: consecutive slots differ, and over 4 slots each cell is kept twice.
    assert not torch.equal(cells[0, 0], cells[0, 1])
    assert (cells[0].sum(dim=0) == 2).all()
    assert torch.equal(patterns[1].reshape(4, 2, 2)[0], cells[0, 1])  # phase = shift in time
    odd = running_cell_patterns((2, 3, 3), 0.25)
    assert odd.shape == (4, 18)
    with pytest.raises(ValueError, match='keep_ratio'):
        running_cell_patterns((2, 2, 2), 0.4)
