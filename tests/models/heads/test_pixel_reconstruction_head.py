"""PixelReconstructionHead: VideoMAE's target layout and normalisation; masked tokens only."""
import pytest
import torch

import signmae_mm  # noqa: F401
from mmaction.registry import MODELS
from signmae_mm.models.utils import patchify

NUM_TOKENS = 4 * 4 * 4  # 8 frames of 32x32, tubelet 2, patch 8


def _head(**kwargs):
    return MODELS.build(dict(type='PixelReconstructionHead', patch_size=8, tubelet_size=2,
                             **kwargs))


def _mask(batch, num_masked, seed=0):
    scores = torch.rand(batch, NUM_TOKENS, generator=torch.Generator().manual_seed(seed))
    mask = torch.zeros(batch, NUM_TOKENS, dtype=torch.bool)
    mask.scatter_(1, scores.argsort(dim=1)[:, :num_masked], True)
    return mask


def _video(batch=2, seed=0):
    return torch.randint(0, 256, (batch, 3, 8, 32, 32),
                         generator=torch.Generator().manual_seed(seed)).float()


def test_plain_target_layout_is_tubelet_row_col_channel():
    video = _video(1)
    target = _head(norm_pix=False).construct_target(video)
    assert target.shape == (1, NUM_TOKENS, 2 * 8 * 8 * 3)
    # Token (t=1, h=2, w=3), value (pt=1, ph=4, pw=5, c=2) is pixel (c=2, T=3, H=20, W=29).
    token = (1 * 4 + 2) * 4 + 3
    value = ((1 * 8 + 4) * 8 + 5) * 3 + 2
    assert target[0, token, value] == video[0, 2, 3, 20, 29] / 255.


def test_normalised_target_per_tubelet_and_channel():
    video = _video(2)
    target = _head(norm_pix=True).construct_target(video)
    per_channel = target.reshape(2, NUM_TOKENS, 128, 3)
    torch.testing.assert_close(per_channel.mean(dim=2), torch.zeros(2, NUM_TOKENS, 3),
                               atol=1e-4, rtol=0)
    torch.testing.assert_close(per_channel.std(dim=2), torch.ones(2, NUM_TOKENS, 3), atol=1e-3,
                               rtol=0)
    # A flat tubelet (std 0) gives a zero target, not NaN.
    flat = torch.full((1, 3, 8, 32, 32), 7.)
    assert _head().construct_target(flat).abs().max() == 0


@pytest.mark.parametrize('norm_pix', [True, False])
def test_only_masked_tokens_count(norm_pix):
    head = _head(norm_pix=norm_pix)
    video = _video(2)
    mask = _mask(2, 48)
    pred = torch.randn(2, 48, 384)
    loss = head.loss_by_feat(pred, video, mask)['loss_rec']
    # Change every pixel of the visible tubelets of the target clip: the loss stays.
    tokens = patchify(video, 2, 8)
    tokens[~mask] = torch.rand_like(tokens[~mask]) * 255
    changed_visible = tokens.reshape(2, 4, 4, 4, 2, 8, 8, 3).permute(0, 7, 1, 4, 2, 5, 3,
                                                                     6).reshape(video.shape)
    assert not torch.equal(changed_visible, video)
    assert head.loss_by_feat(pred, changed_visible, mask)['loss_rec'] == loss
    # Change one masked tubelet: the loss moves (so the check above can fail).
    tokens = patchify(video, 2, 8)
    masked_index = mask[0].nonzero()[0, 0]
    tokens[0, masked_index] = torch.rand_like(tokens[0, masked_index]) * 255
    changed_masked = tokens.reshape(2, 4, 4, 4, 2, 8, 8, 3).permute(0, 7, 1, 4, 2, 5, 3,
                                                                    6).reshape(video.shape)
    assert head.loss_by_feat(pred, changed_masked, mask)['loss_rec'] != loss


def test_dual_masking_counts_tokens_masked_and_kept():
    head = _head()
    video = _video(1)
    mask = _mask(1, 48)
    target_mask = torch.zeros(1, NUM_TOKENS, dtype=torch.bool)
    target_mask[0, :32] = True  # the decoder's kept set, masked and visible positions alike
    target = head.construct_target(video)[target_mask].reshape(1, 32, -1)
    pred = target.clone()
    visible_kept = ~mask[0, :32]
    assert visible_kept.any()
    pred[0, visible_kept] += 5.  # wrong where the encoder saw the token: must not count
    losses = head.loss_by_feat(pred, video, mask, target_mask)
    assert losses['loss_rec'].item() == pytest.approx(0.)
    pred[0, ~visible_kept] += 1.
    losses = head.loss_by_feat(pred, video, mask, target_mask)
    assert losses['loss_rec'].item() == pytest.approx(1.)


def test_unpatchify_prediction_inverts_the_target():
    head = _head()
    video = _video(1)
    mask = _mask(1, 48)
    pred = head.construct_target(video)[mask].reshape(1, 48, -1)
    pixels = head.unpatchify_prediction(pred, video, mask)
    torch.testing.assert_close(pixels, patchify(video, 2, 8)[mask].reshape(1, 48, -1),
                               atol=1e-3, rtol=1e-4)
