"""VideoMAEPretrainer built from a config: modes, masks, normalisation, dual masking, training."""
import numpy as np
import pytest
import torch

import signmae_mm  # noqa: F401
from mmaction.registry import MODELS
from mmaction.structures import ActionDataSample

NUM_TOKENS = 4 * 4 * 4  # 8 frames of 32x32, tubelet 2, patch 8
MEAN, STD = [123.675, 116.28, 103.53], [58.395, 57.12, 57.375]


def tiny_pretrainer_cfg(**kwargs) -> dict:
    cfg = dict(
        type='VideoMAEPretrainer',
        backbone=dict(type='MaskedVisionTransformer', img_size=32, patch_size=8, embed_dims=64,
                      depth=2, num_heads=4, num_frames=8, tubelet_size=2),
        # Geometry and encoder width come from the backbone.
        neck=dict(type='VideoMAEDecoder', embed_dims=32, depth=2, num_heads=4),
        head=dict(type='PixelReconstructionHead', norm_pix=True),
        data_preprocessor=dict(type='ActionDataPreprocessor', mean=MEAN, std=STD,
                               format_shape='NCTHW'))
    cfg.update(kwargs)
    return cfg


def random_masks(batch: int, num_masked: int, seed: int = 0) -> torch.Tensor:
    scores = torch.rand(batch, NUM_TOKENS, generator=torch.Generator().manual_seed(seed))
    mask = torch.zeros(batch, NUM_TOKENS, dtype=torch.bool)
    mask.scatter_(1, scores.argsort(dim=1)[:, :num_masked], True)
    return mask


def raw_batch(batch: int = 2, seed: int = 0) -> dict:
    """What the dataloader yields: uint8-valued (1, C, T, H, W) clips and data samples."""
    gen = torch.Generator().manual_seed(seed)
    inputs = [torch.randint(0, 256, (1, 3, 8, 32, 32), generator=gen, dtype=torch.uint8)
              for _ in range(batch)]
    return dict(inputs=inputs, data_samples=[ActionDataSample() for _ in range(batch)])


@pytest.fixture
def model():
    torch.manual_seed(0)
    model = MODELS.build(tiny_pretrainer_cfg())
    model.init_weights()
    return model


def _decoder_lengths(model):
    seen = []
    model.neck.blocks[0].register_forward_hook(lambda m, a, o: seen.append(a[0].shape[1]))
    return seen


def test_loss_mode_trains_every_part(model):
    data = model.data_preprocessor(raw_batch(), training=True)
    assert data['inputs'].shape == (2, 1, 3, 8, 32, 32)
    losses = model(**data, mode='loss', masks=random_masks(2, 48))
    assert set(losses) == {'loss_rec', 'floor_rec'} and torch.isfinite(losses['loss_rec'])
    losses['loss_rec'].backward()
    for name in ('backbone.patch_embed.projection.weight', 'backbone.blocks.0.attn.qkv.weight',
                 'backbone.blocks.1.attn.q_bias', 'backbone.norm.weight',
                 'neck.encoder_to_decoder.weight', 'neck.mask_token', 'neck.head.weight'):
        grad = dict(model.named_parameters())[name].grad
        assert grad is not None and grad.abs().sum() > 0, name


def test_loss_without_masks_names_what_is_missing(model):
    data = model.data_preprocessor(raw_batch(), training=True)
    with pytest.raises(ValueError, match='SegmentGuidedHandMask.*PackActionInputs'):
        model(**data, mode='loss')


def _with_masks(batch: dict, masks: torch.Tensor) -> dict:
    for sample, mask in zip(batch['data_samples'], masks.numpy()):
        sample.set_field(mask, 'mask')  # what PackActionInputs(algorithm_keys=('mask',)) does
    return batch


def test_masks_come_from_the_data_samples_through_the_preprocessor():
    masks = random_masks(2, 48)
    torch.manual_seed(0)
    model = MODELS.build(tiny_pretrainer_cfg(data_preprocessor=dict(
        type='MaskedVideoDataPreprocessor', mean=MEAN, std=STD, format_shape='NCTHW')))
    data = model.data_preprocessor(_with_masks(raw_batch(), masks), training=True)
    assert torch.equal(data['masks'], masks)
    from_samples = model(**data, mode='loss')['loss_rec']
    del data['masks']
    data['data_samples'] = None
    assert model(**data, mode='loss', masks=masks)['loss_rec'] == from_samples
    # The default preprocessor stacks them too.
    default = MODELS.build(tiny_pretrainer_cfg(data_preprocessor=None))
    assert 'masks' in default.data_preprocessor(_with_masks(raw_batch(), masks))


def test_a_preprocessor_that_does_not_stack_the_masks_is_named(model):
    data = model.data_preprocessor(_with_masks(raw_batch(), random_masks(2, 48)), True)
    with pytest.raises(ValueError, match=r'data_preprocessor \(ActionDataPreprocessor\) does '
                       "not stack masks; use data_preprocessor=dict.type='MaskedVideo"):
        model(**data, mode='loss')


def test_masks_are_checked_once_at_the_model(model):
    """The one validator: bool, the clip's token count, the same number masked per clip."""
    data = model.data_preprocessor(raw_batch(), training=True)
    masks = random_masks(2, 48)
    loss = model(**data, mode='loss', masks=masks)['loss_rec']
    assert model(**data, mode='loss', masks=masks[:, None])['loss_rec'] == loss  # (B, 1, N)
    assert model(**data, mode='loss', masks=masks.numpy())['loss_rec'] == loss
    uneven = masks.clone()
    uneven[0, ~masks[0]] = True
    for bad, error, match in [
            (masks.to(torch.uint8), TypeError, 'bool'),
            (masks[:, :-1], ValueError, r'shape \(2, 63\), expected \(B, N\) = \(2, 64\)'),
            (masks[:1], ValueError, r'expected \(B, N\) = \(2, 64\)'),
            (uneven, ValueError, 'same number of True tokens in mask, got between 48 and 64')]:
        for mode in ('loss', 'predict', 'tensor'):
            with pytest.raises(error, match=match):
                model(**data, mode=mode, masks=bad)
        with pytest.raises(error, match=match):
            model.extract_feat(data['inputs'], bad)


def test_target_undoes_the_preprocessor_normalisation(model):
    batch = raw_batch()
    data = model.data_preprocessor(batch, training=True)
    raw = torch.stack(batch['inputs']).float().flatten(0, 1)
    torch.testing.assert_close(model.pixels(data['inputs'].flatten(0, 1)), raw, atol=1e-3,
                               rtol=0)
    # Without normalisation in the preprocessor, the clips are taken as pixels.
    plain = MODELS.build(tiny_pretrainer_cfg(data_preprocessor=dict(
        type='ActionDataPreprocessor', format_shape='NCTHW')))
    data = plain.data_preprocessor(batch, training=True)
    torch.testing.assert_close(plain.pixels(data['inputs'].flatten(0, 1)), raw)


def test_dual_masking_decoder_sees_fewer_tokens():
    torch.manual_seed(0)
    dual = MODELS.build(tiny_pretrainer_cfg(decoder_keep_ratio=0.5))
    plain = MODELS.build(tiny_pretrainer_cfg())
    inputs = torch.randn(2, 1, 3, 8, 32, 32)
    masks = random_masks(2, 48)
    dual_lengths, plain_lengths = _decoder_lengths(dual), _decoder_lengths(plain)
    dual.train()
    assert torch.isfinite(dual(inputs, mode='loss', masks=masks)['loss_rec'])
    plain(inputs, mode='loss', masks=masks)
    assert plain_lengths == [16 + 48]
    assert dual_lengths == [16 + NUM_TOKENS // 2]
    # Outside training the decoder reconstructs every masked token.
    dual.eval()
    assert dual(inputs, mode='tensor', masks=masks).shape == (2, 48, 384)
    with pytest.raises(ValueError, match='keep_ratio'):
        MODELS.build(tiny_pretrainer_cfg(decoder_keep_ratio=0.3))


def test_predict_and_tensor_modes(model):
    model.eval()
    data = model.data_preprocessor(raw_batch(), training=False)
    masks = random_masks(2, 48)
    with torch.no_grad():
        samples = model(**data, mode='predict', masks=masks)
        assert len(samples) == 2
        assert samples[0].pred_pixels.shape == (48, 384)
        assert samples[0].loss_rec.ndim == 0
        assert model(**data, mode='tensor', masks=masks).shape == (2, 48, 384)
        assert model(**data, mode='tensor').shape == (2, NUM_TOKENS, 64)
    with pytest.raises(RuntimeError, match='Invalid mode'):
        model(**data, mode='nope')


def test_loss_falls_when_overfitting_one_batch():
    torch.manual_seed(0)
    model = MODELS.build(tiny_pretrainer_cfg(decoder_keep_ratio=0.5))
    model.init_weights()
    # A learnable clip: smooth colour gradients rather than noise.
    t, y, x = torch.meshgrid(torch.arange(8.), torch.arange(32.), torch.arange(32.),
                             indexing='ij')
    clip = torch.stack([x * 8, y * 8, (t * 30 + x * 4) % 256]).clamp(0, 255)
    batch = dict(inputs=[clip[None].to(torch.uint8)] * 2,
                 data_samples=[ActionDataSample(), ActionDataSample()])
    masks = random_masks(2, 48)
    optim = torch.optim.AdamW(model.parameters(), lr=2e-3, betas=(0.9, 0.95))
    losses = []
    for _ in range(30):
        data = model.data_preprocessor(batch, training=True)
        loss = model(**data, mode='loss', masks=masks)['loss_rec']
        optim.zero_grad()
        loss.backward()
        optim.step()
        losses.append(loss.item())
    assert np.mean(losses[-5:]) < 0.7 * np.mean(losses[:5]), losses


# ------------------------------------------------------------------ several heads
MOTION = dict(type='MotionReconstructionHead', lag=1, loss_weight=0.5)


def two_heads_cfg(**kwargs) -> dict:
    return tiny_pretrainer_cfg(
        head=None, heads=[dict(type='PixelReconstructionHead', norm_pix=True), MOTION],
        **kwargs)


def moving_clip() -> torch.Tensor:
    """A learnable clip with motion: sinusoidal stripes drifting 2 px a frame."""
    t, y, x = torch.meshgrid(torch.arange(8.), torch.arange(32.), torch.arange(32.),
                             indexing='ij')
    return torch.stack([127 + 100 * torch.sin(0.4 * (x - 2 * t)),
                        127 + 100 * torch.cos(0.3 * (y + x - 3 * t)),
                        y * 8]).clamp(0, 255)[None].to(torch.uint8)


def test_head_is_the_one_head_form_of_heads():
    torch.manual_seed(0)
    one = MODELS.build(tiny_pretrainer_cfg())
    torch.manual_seed(0)
    listed = MODELS.build(tiny_pretrainer_cfg(head=None, heads=[tiny_pretrainer_cfg()['head']]))
    assert len(one.heads) == 1 and one.head is one.heads[0]
    assert (one.head.patch_size, one.head.tubelet_size) == (8, 2)  # from the backbone
    assert one.state_dict().keys() == listed.state_dict().keys()
    assert not [k for k in one.state_dict() if k.startswith('heads.')]
    data = one.data_preprocessor(raw_batch(), training=True)
    masks = random_masks(2, 48)
    assert one(**data, mode='loss', masks=masks) == listed(**data, mode='loss', masks=masks)
    for kwargs, match in [(dict(heads=[MOTION]), 'not both'), (dict(head=None), 'not neither'),
                          (dict(head=None, heads=[]), 'at least one'),
                          (dict(head=None, heads=[MOTION, dict(MOTION, lag=2)]), 'distinct')]:
        with pytest.raises(ValueError, match=match):
            MODELS.build(tiny_pretrainer_cfg(**kwargs))


def test_two_heads_log_their_losses_and_train_their_parts():
    torch.manual_seed(0)
    model = MODELS.build(two_heads_cfg())
    model.init_weights()
    # The motion head's predictor reads the decoded tokens: the decoder's width.
    assert model.heads[1].predictor.in_features == 32
    assert {k for k in model.state_dict() if k.startswith('heads.')} == {
        'heads.1.predictor.weight', 'heads.1.predictor.bias'}
    data = model.data_preprocessor(raw_batch(), training=True)
    losses = model(**data, mode='loss', masks=random_masks(2, 48))
    assert set(losses) == {'loss_rec', 'floor_rec', 'loss_motion', 'floor_motion'}
    total, log_vars = model.parse_losses(losses)
    assert total.item() == pytest.approx((losses['loss_rec'] + losses['loss_motion']).item())
    assert {'loss', 'loss_rec', 'loss_motion'} <= set(log_vars)
    losses['loss_motion'].backward()
    grads = {n: p.grad for n, p in model.named_parameters()}
    for name in ('heads.1.predictor.weight', 'neck.blocks.0.attn.qkv.weight',
                 'backbone.blocks.0.attn.qkv.weight'):
        assert grads[name] is not None and grads[name].abs().sum() > 0, name
    assert grads['neck.head.weight'] is None  # the pixel projection is the pixel loss's


def test_a_motion_only_model_leaves_the_pixel_projection_alone():
    model = MODELS.build(tiny_pretrainer_cfg(head=MOTION))
    data = model.data_preprocessor(raw_batch(), training=True)
    losses = model(**data, mode='loss', masks=random_masks(2, 48))
    assert set(losses) == {'loss_motion', 'floor_motion'}
    losses['loss_motion'].backward()
    assert model.neck.head.weight.grad is None  # no head reads `pred`: not run


def test_predict_with_two_heads():
    model = MODELS.build(two_heads_cfg()).eval()
    data = model.data_preprocessor(raw_batch(), training=False)
    with torch.no_grad():
        samples = model(**data, mode='predict', masks=random_masks(2, 48))
    assert samples[0].pred_pixels.shape == (48, 384)
    assert samples[0].loss_rec.ndim == 0 and samples[0].loss_motion.ndim == 0


def test_both_losses_fall_when_overfitting_one_batch():
    """Both losses plateau near 0.66 of their start for ~80 steps, then fall (about 3 s)."""
    torch.manual_seed(0)
    model = MODELS.build(two_heads_cfg())
    model.init_weights()
    batch = dict(inputs=[moving_clip()] * 2, data_samples=[ActionDataSample()] * 2)
    masks = random_masks(2, 48)
    optim = torch.optim.AdamW(model.parameters(), lr=2e-3, betas=(0.9, 0.95))
    history = {'loss_rec': [], 'loss_motion': []}
    for _ in range(150):
        data = model.data_preprocessor(batch, training=True)
        losses = model(**data, mode='loss', masks=masks)
        total, _ = model.parse_losses(losses)
        optim.zero_grad()
        total.backward()
        optim.step()
        for key in history:
            history[key].append(losses[key].item())
    for key, values in history.items():
        assert np.mean(values[-5:]) < 0.5 * np.mean(values[:5]), (key, values)
