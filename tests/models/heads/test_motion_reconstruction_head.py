"""MotionReconstructionHead: the lag-k temporal difference as a tubelet target, masked tokens only,
the end of the clip cropped or zero-padded, its own predictor on the decoded tokens."""
import pytest
import torch
from mmengine.model import BaseModel

import signmae_mm  # noqa: F401
from mmaction.registry import MODELS
from signmae_mm.models.utils import MAEOutputs, patchify

NUM_TOKENS = 4 * 4 * 4  # 8 frames of 32x32, tubelet 2, patch 8
SLOT = 4 * 4  # tokens per time slot


def _head(**kwargs):
    cfg = dict(type='MotionReconstructionHead', patch_size=8, tubelet_size=2, in_channels=16)
    cfg.update(kwargs)
    return MODELS.build(cfg)


def _video(batch=2, seed=0):
    return torch.randint(0, 256, (batch, 3, 8, 32, 32),
                         generator=torch.Generator().manual_seed(seed)).float()


def _mask(batch, num_masked, seed=0):
    scores = torch.rand(batch, NUM_TOKENS, generator=torch.Generator().manual_seed(seed))
    return scores.argsort(dim=1) < num_masked


def test_target_is_the_difference_at_the_lag_in_the_pixel_layout():
    video = _video(1)
    target = _head(lag=3, norm_pix=False).construct_target(video)
    assert target.shape == (1, NUM_TOKENS, 2 * 8 * 8 * 3)
    # Token (t=1, h=2, w=3), value (pt=0, ph=4, pw=5, c=2) is frame 2 at (H=20, W=29).
    token, value = (1 * 4 + 2) * 4 + 3, ((0 * 8 + 4) * 8 + 5) * 3 + 2
    expected = (video[0, 2, 2 + 3, 20, 29] - video[0, 2, 2, 20, 29]) / 255.
    assert target[0, token, value] == expected
    # The last 3 frames have no partner: zero (and left out of the loss by padding='crop').
    assert target.reshape(1, 4, SLOT, 2, -1)[:, 2:, :, 1:].abs().max() == 0


def test_a_square_moving_one_pixel_a_frame():
    """A white 4x4 square moving right one pixel a frame: at lag 3 the difference is +1 on the
    3 columns it entered and -1 on the 3 it left, 0 elsewhere."""
    video = torch.zeros(1, 3, 8, 32, 32)
    for t in range(8):
        video[:, :, t, 8:12, 4 + t:8 + t] = 255.
    frames = _head(lag=3).target_frames(video)
    assert frames.shape == video.shape
    for t in range(5):
        row = frames[0, 0, t, 10]
        expected = torch.zeros(32)
        expected[4 + t:7 + t] = -1.  # left behind
        expected[8 + t:11 + t] = 1.  # entered
        assert torch.equal(row, expected), t
    assert frames[:, :, 5:].abs().max() == 0


@pytest.mark.parametrize('lag', [1, 3])
def test_normalised_as_the_pixel_target_is(lag):
    video = _video(2)
    motion = _head(lag=lag).construct_target(video)
    # The pixel head's target of a clip whose frames are the differences (in pixel units).
    diff = torch.zeros_like(video)
    diff[:, :, :-lag] = video[:, :, lag:] - video[:, :, :-lag]
    pixel_head = MODELS.build(dict(type='PixelReconstructionHead', patch_size=8,
                                   tubelet_size=2))
    torch.testing.assert_close(motion, pixel_head.construct_target(diff))
    per_channel = motion.reshape(2, NUM_TOKENS, 128, 3)
    first_slot = per_channel[:, :SLOT]  # frames 0-1, partners 1-4: no zero padding
    torch.testing.assert_close(first_slot.mean(dim=2), torch.zeros(2, SLOT, 3), atol=1e-4,
                               rtol=0)
    torch.testing.assert_close(first_slot.std(dim=2), torch.ones(2, SLOT, 3), atol=1e-3, rtol=0)


def test_crop_leaves_out_the_tokens_without_a_partner_frame():
    video = _video(1)
    # 8 frames, tubelets of 2, lag 3: slots 0 (frames 0-1) and 1 (2-3) have partners; slot 2
    # (4-5) needs frame 8.
    valid = _head(lag=3).valid_tokens(video)
    assert valid.tolist() == [True] * 2 * SLOT + [False] * 2 * SLOT
    assert _head(lag=3, padding='zero').valid_tokens(video) is None
    mask = torch.ones(1, NUM_TOKENS, dtype=torch.bool)
    mask[0, ::4] = False
    num_masked = int(mask.sum())
    for padding, counted in [('crop', valid), ('zero', torch.ones_like(valid))]:
        head = _head(lag=3, padding=padding)
        target = head.construct_target(video)[mask].reshape(1, num_masked, -1)
        pred = target.clone()
        wrong = ~valid[mask[0]]
        pred[0, wrong] += 1.  # wrong only on the tokens without a partner frame
        loss = head.loss_by_feat(pred, video, mask)['loss_motion']
        expected = (counted[mask[0]] & wrong).sum() / counted[mask[0]].sum()
        assert loss.item() == pytest.approx(expected.item(), abs=1e-6), padding
    with pytest.raises(ValueError, match="lag 7 leaves no token.*padding='zero'"):
        _head(lag=7).loss_by_feat(pred, video, mask)


def test_only_masked_tokens_count():
    """Under dual masking the decoder also predicts visible positions: they weigh 0."""
    head = _head(lag=1)
    video = _video(1)
    mask = _mask(1, 48)
    target_mask = torch.zeros(1, NUM_TOKENS, dtype=torch.bool)
    target_mask[0, :32] = True
    target = head.construct_target(video)[target_mask].reshape(1, 32, -1)
    pred = target.clone()
    visible_kept = ~mask[0, :32]
    assert visible_kept.any()
    pred[0, visible_kept] += 5.
    assert head.loss_by_feat(pred, video, mask, target_mask)['loss_motion'].item() == (
        pytest.approx(0., abs=1e-10))
    pred[0, ~visible_kept] += 1.
    losses = head.loss_by_feat(pred, video, mask, target_mask)
    assert losses['loss_motion'].item() == pytest.approx(1.)
    # The floor is logged, not optimised.
    assert set(losses) == {'loss_motion', 'floor_motion'}
    total, _ = BaseModel.parse_losses(None, losses)
    assert total.item() == pytest.approx(1.)


def test_predicts_from_the_decoded_tokens_with_its_own_linear():
    head = _head(lag=3, loss_weight=0.5)
    head.init_weights()
    assert head.predictor.in_features == 16 and head.predictor.out_features == 2 * 8 * 8 * 3
    assert head.predictor.bias.abs().max() == 0  # VideoMAE's head init: zero bias
    video = _video(2)
    mask = _mask(2, 48)
    decoded = torch.randn(2, 48, 16, requires_grad=True)
    outputs = MAEOutputs(video=video, pixels=video, mask=mask, target_mask=mask,
                         latent=torch.randn(2, 16, 32), decoded=decoded)
    losses = head.loss(outputs)
    pred = head.predictor(decoded)
    plain = head.loss_by_feat(pred, video, mask)['loss_motion'] / 0.5
    assert losses['loss_motion'].item() == pytest.approx(0.5 * plain.item())
    losses['loss_motion'].backward()
    assert head.predictor.weight.grad.abs().sum() > 0 and decoded.grad.abs().sum() > 0
    outputs.decoded = None
    with pytest.raises(ValueError, match='decoded tokens'):
        head.loss(outputs)


def test_arguments_are_checked():
    for kwargs, match in [(dict(lag=0), 'lag'), (dict(lag=1.5), 'lag'),
                          (dict(padding='reflect'), 'padding'),
                          (dict(loss_name='motion'), 'loss_name')]:
        with pytest.raises(ValueError, match=match):
            _head(**kwargs)
    # Not a pixel predictor: no pixels to un-normalise.
    with pytest.raises(NotImplementedError):
        _head().unpatchify_prediction(torch.zeros(1, 1, 384), _video(1), _mask(1, 1))
