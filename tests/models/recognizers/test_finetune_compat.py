"""A pretraining checkpoint loads into stock mmaction2 Recognizer3D + VisionTransformer."""
import pytest
import torch
from mmengine.registry import init_default_scope

import signmae_mm  # noqa: F401
from mmaction.models.backbones.vit_mae import VisionTransformer
from mmaction.registry import MODELS
from mmaction.structures import ActionDataSample

VIT = dict(img_size=32, patch_size=8, embed_dims=64, depth=2, num_heads=4, num_frames=8,
           tubelet_size=2, qkv_bias=True, norm_cfg=dict(type='LN', eps=1e-6))
PRETRAINER = dict(
    type='VideoMAEPretrainer',
    backbone=dict(type='MaskedVisionTransformer', **VIT),
    neck=dict(type='VideoMAEDecoder', embed_dims=32, depth=1, num_heads=4),
    head=dict(type='PixelReconstructionHead'))
NORM_EXCEPTION = dict(unexpected={'norm.weight', 'norm.bias'},
                      missing={'fc_norm.weight', 'fc_norm.bias'})


@pytest.fixture(scope='module')
def pretrained(tmp_path_factory):
    """A 'finished pretraining run': our model with non-trivial weights, saved by mmengine's
    convention ({'state_dict', 'meta'})."""
    torch.manual_seed(0)
    model = MODELS.build(PRETRAINER)
    model.init_weights()
    with torch.no_grad():
        for name, param in model.named_parameters():
            if name.endswith(('bias', 'q_bias', 'v_bias')) or 'norm' in name:
                param.add_(torch.randn_like(param) * 0.1)
    path = tmp_path_factory.mktemp('pretrain') / 'epoch_1.pth'
    torch.save(dict(state_dict=model.state_dict(), meta=dict(epoch=1)), path)
    return model.eval(), path


def _recognizer(checkpoint) -> torch.nn.Module:
    init_default_scope('mmaction')
    cfg = dict(
        type='Recognizer3D',
        backbone=dict(type='VisionTransformer', **VIT,
                      init_cfg=dict(type='Pretrained', checkpoint=str(checkpoint),
                                    prefix='backbone.')),
        cls_head=dict(type='TimeSformerHead', num_classes=5, in_channels=64),
        data_preprocessor=dict(type='ActionDataPreprocessor', format_shape='NCTHW'))
    recognizer = MODELS.build(cfg)
    recognizer.init_weights()
    return recognizer.eval()


def test_backbone_keys_load_with_only_the_norm_exception(pretrained):
    model, _ = pretrained
    backbone = {k[len('backbone.'):]: v for k, v in model.state_dict().items()
                if k.startswith('backbone.')}
    result = VisionTransformer(**VIT).load_state_dict(backbone, strict=False)
    assert set(result.unexpected_keys) == NORM_EXCEPTION['unexpected']
    assert set(result.missing_keys) == NORM_EXCEPTION['missing']


def test_config_init_cfg_loads_every_backbone_weight(pretrained):
    model, path = pretrained
    recognizer = _recognizer(path)
    ours = model.backbone.state_dict()
    theirs = recognizer.backbone.state_dict()
    shared = set(ours) & set(theirs)
    assert shared == set(theirs) - NORM_EXCEPTION['missing']
    for key in shared:
        torch.testing.assert_close(theirs[key], ours[key], rtol=0, atol=0, msg=key)


def _block_outputs(backbone, *args):
    outputs = []
    hooks = [b.register_forward_hook(lambda m, a, o: outputs.append(o)) for b in backbone.blocks]
    with torch.no_grad():
        backbone(*args)
    for hook in hooks:
        hook.remove()
    return outputs


def test_block_outputs_equal_the_encoders(pretrained):
    model, path = pretrained
    recognizer = _recognizer(path)
    x = torch.randn(2, 3, 8, 32, 32)
    stock = _block_outputs(recognizer.backbone, x)
    unmasked = _block_outputs(model.backbone, x)
    all_visible = _block_outputs(model.backbone, x, torch.zeros(2, 64, dtype=torch.bool))
    assert len(stock) == len(unmasked) == 2
    for ref, ours, ours_masked in zip(stock, unmasked, all_visible):
        assert ref.shape == (2, 64, 64)
        torch.testing.assert_close(ours, ref, atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(ours_masked, ref, atol=1e-5, rtol=1e-5)
    # And the finetuning model runs end to end on it.
    with torch.no_grad():
        samples = recognizer(x[:, None], [ActionDataSample(), ActionDataSample()],
                             mode='predict')
    assert samples[0].pred_score.numel() == 5
