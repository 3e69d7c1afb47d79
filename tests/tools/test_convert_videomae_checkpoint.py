"""tools/convert_videomae_checkpoint.py on state dicts in the official and the HF layout."""
import importlib.util
import textwrap
from pathlib import Path

import pytest
import torch

import signmae_mm  # noqa: F401
from mmaction.models.backbones.vit_mae import VisionTransformer
from mmaction.registry import MODELS
from signmae_mm.models.utils.checkpoint_conversion import (convert_checkpoint, detect_layout,
                                                           pretrainer_to_backbone)

REPO = Path(__file__).resolve().parents[2]
DIMS, DEC_DIMS, DEPTH, DEC_DEPTH, PATCH, TUBELET = 64, 32, 2, 1, 8, 2
VIT = dict(img_size=32, patch_size=PATCH, embed_dims=DIMS, depth=DEPTH, num_heads=4,
           num_frames=8, tubelet_size=TUBELET)
PRETRAINER = dict(
    type='VideoMAEPretrainer',
    backbone=dict(type='MaskedVisionTransformer', **VIT),
    neck=dict(type='VideoMAEDecoder', embed_dims=DEC_DIMS, depth=DEC_DEPTH, num_heads=4),
    head=dict(type='PixelReconstructionHead'))
OUT_DIMS = 3 * TUBELET * PATCH * PATCH


def _official_block(prefix: str, d: int) -> dict:
    r = torch.randn
    return {
        f'{prefix}norm1.weight': r(d), f'{prefix}norm1.bias': r(d),
        f'{prefix}attn.q_bias': r(d), f'{prefix}attn.v_bias': r(d),
        f'{prefix}attn.qkv.weight': r(3 * d, d),
        f'{prefix}attn.proj.weight': r(d, d), f'{prefix}attn.proj.bias': r(d),
        f'{prefix}norm2.weight': r(d), f'{prefix}norm2.bias': r(d),
        f'{prefix}mlp.fc1.weight': r(4 * d, d), f'{prefix}mlp.fc1.bias': r(4 * d),
        f'{prefix}mlp.fc2.weight': r(d, 4 * d), f'{prefix}mlp.fc2.bias': r(d),
    }


def official_state_dict() -> dict:
    """MCG-NJU VideoMAE ``PretrainVisionTransformer`` keys, random values."""
    torch.manual_seed(0)
    sd = {'encoder.patch_embed.proj.weight': torch.randn(DIMS, 3, TUBELET, PATCH, PATCH),
          'encoder.patch_embed.proj.bias': torch.randn(DIMS)}
    for i in range(DEPTH):
        sd.update(_official_block(f'encoder.blocks.{i}.', DIMS))
    sd.update({'encoder.norm.weight': torch.randn(DIMS), 'encoder.norm.bias': torch.randn(DIMS)})
    for i in range(DEC_DEPTH):
        sd.update(_official_block(f'decoder.blocks.{i}.', DEC_DIMS))
    sd.update({'decoder.norm.weight': torch.randn(DEC_DIMS),
               'decoder.norm.bias': torch.randn(DEC_DIMS),
               'decoder.head.weight': torch.randn(OUT_DIMS, DEC_DIMS),
               'decoder.head.bias': torch.randn(OUT_DIMS),
               'encoder_to_decoder.weight': torch.randn(DEC_DIMS, DIMS),
               'mask_token': torch.randn(1, 1, DEC_DIMS)})
    return sd


def _hf_layer(prefix: str, d: int, transformers5: bool = False) -> dict:
    r = torch.randn
    a = f'{prefix}attention.'
    # transformers 5 keeps the q and v biases in the Linear layers; earlier files apart
    q_bias, v_bias = (('query.bias', 'value.bias') if transformers5 else ('q_bias', 'v_bias'))
    return {
        f'{a}attention.query.weight': r(d, d), f'{a}attention.key.weight': r(d, d),
        f'{a}attention.value.weight': r(d, d),
        f'{a}attention.{q_bias}': r(d), f'{a}attention.{v_bias}': r(d),
        f'{a}output.dense.weight': r(d, d), f'{a}output.dense.bias': r(d),
        f'{prefix}intermediate.dense.weight': r(4 * d, d),
        f'{prefix}intermediate.dense.bias': r(4 * d),
        f'{prefix}output.dense.weight': r(d, 4 * d), f'{prefix}output.dense.bias': r(d),
        f'{prefix}layernorm_before.weight': r(d), f'{prefix}layernorm_before.bias': r(d),
        f'{prefix}layernorm_after.weight': r(d), f'{prefix}layernorm_after.bias': r(d),
    }


def hf_state_dict(transformers5: bool = False) -> dict:
    """Hugging Face ``VideoMAEForPreTraining`` keys, random values."""
    torch.manual_seed(1)
    p = 'videomae.embeddings.patch_embeddings.projection.'
    sd = {p + 'weight': torch.randn(DIMS, 3, TUBELET, PATCH, PATCH), p + 'bias': torch.randn(DIMS)}
    for i in range(DEPTH):
        sd.update(_hf_layer(f'videomae.encoder.layer.{i}.', DIMS, transformers5))
    sd.update({'videomae.layernorm.weight': torch.randn(DIMS),
               'videomae.layernorm.bias': torch.randn(DIMS)})
    for i in range(DEC_DEPTH):
        sd.update(_hf_layer(f'decoder.decoder_layers.{i}.', DEC_DIMS, transformers5))
    sd.update({'decoder.norm.weight': torch.randn(DEC_DIMS),
               'decoder.norm.bias': torch.randn(DEC_DIMS),
               'decoder.head.weight': torch.randn(OUT_DIMS, DEC_DIMS),
               'decoder.head.bias': torch.randn(OUT_DIMS),
               'encoder_to_decoder.weight': torch.randn(DEC_DIMS, DIMS),
               'mask_token': torch.randn(1, 1, DEC_DIMS)})
    return sd


def _load_strict(state_dict: dict):
    model = MODELS.build(PRETRAINER)
    model.load_state_dict(state_dict, strict=True)  # no missing/unexpected key, shapes match
    return model


def test_official_layout_maps_every_key():
    source = official_state_dict()
    assert detect_layout(source) == 'official'
    result = convert_checkpoint({'model': source}, num_frames=8, img_size=32)
    assert result.layout == 'official' and result.unmapped == []
    sd = result.state_dict
    model = _load_strict(sd)
    assert torch.equal(sd['backbone.blocks.1.attn.qkv.weight'],
                       source['encoder.blocks.1.attn.qkv.weight'])
    assert torch.equal(sd['backbone.blocks.0.mlp.layers.0.0.weight'],
                       source['encoder.blocks.0.mlp.fc1.weight'])
    assert torch.equal(sd['neck.blocks.0.mlp.layers.1.bias'],
                       source['decoder.blocks.0.mlp.fc2.bias'])
    assert torch.equal(model.neck.mask_token, source['mask_token'])
    # The fixed position table VideoMAE does not store is the one mmaction2 builds.
    torch.testing.assert_close(sd['backbone.pos_embed'], VisionTransformer(**VIT).pos_embed)
    assert any('pos_embed' in note for note in result.notes)


@pytest.mark.parametrize('transformers5', [False, True], ids=['q_bias', 'query.bias'])
def test_hf_layout_maps_every_key(transformers5):
    source = hf_state_dict(transformers5)
    assert detect_layout(source) == 'hf'
    result = convert_checkpoint(source, num_frames=8, img_size=32)
    assert result.layout == 'hf' and result.unmapped == []
    sd = result.state_dict
    _load_strict(sd)
    layer = 'videomae.encoder.layer.1.attention.attention.'
    expected_qkv = torch.cat([source[layer + n + '.weight'] for n in ('query', 'key', 'value')])
    assert torch.equal(sd['backbone.blocks.1.attn.qkv.weight'], expected_qkv)
    q_bias, v_bias = ('query.bias', 'value.bias') if transformers5 else ('q_bias', 'v_bias')
    assert torch.equal(sd['backbone.blocks.1.attn.q_bias'], source[layer + q_bias])
    assert torch.equal(sd['backbone.blocks.1.attn.v_bias'], source[layer + v_bias])
    dec = 'decoder.decoder_layers.0.attention.attention.'
    assert torch.equal(sd['neck.blocks.0.attn.v_bias'], source[dec + v_bias])
    assert torch.equal(sd['neck.blocks.0.norm2.weight'],
                       source['decoder.decoder_layers.0.layernorm_after.weight'])
    assert torch.equal(sd['backbone.norm.bias'], source['videomae.layernorm.bias'])


def test_unmapped_keys_are_reported():
    source = official_state_dict()
    source['encoder.head.weight'] = torch.randn(3, DIMS)
    hf = hf_state_dict()
    del hf['videomae.encoder.layer.0.attention.attention.key.weight']  # q/v without k
    assert convert_checkpoint(source, num_frames=8, img_size=32).unmapped == [
        'encoder.head.weight']
    assert sorted(convert_checkpoint(hf, num_frames=8, img_size=32).unmapped) == [
        'videomae.encoder.layer.0.attention.attention.query.weight',
        'videomae.encoder.layer.0.attention.attention.value.weight']


def test_finished_run_to_backbone_only():
    model = MODELS.build(PRETRAINER)
    result = pretrainer_to_backbone(model.state_dict())
    assert result.unmapped == []
    assert all(k.startswith('backbone.') for k in result.state_dict)
    assert 'backbone.norm.weight' not in result.state_dict
    assert 'neck.mask_token' in result.dropped and 'backbone.norm.weight' in result.dropped
    stripped = {k[len('backbone.'):]: v for k, v in result.state_dict.items()}
    missing, unexpected = VisionTransformer(**VIT).load_state_dict(stripped, strict=False)
    assert unexpected == [] and set(missing) == {'fc_norm.weight', 'fc_norm.bias'}
    kept = pretrainer_to_backbone(model.state_dict(), keep_norm=True).state_dict
    assert 'backbone.norm.weight' in kept
    # A second loss head's parameters (heads.<i>.*) are the pretraining's, dropped too.
    two = MODELS.build(dict(PRETRAINER, head=None, heads=[
        PRETRAINER['head'], dict(type='MotionReconstructionHead', lag=1)]))
    result = pretrainer_to_backbone(two.state_dict())
    assert result.unmapped == [] and 'heads.1.predictor.weight' in result.dropped


def _tool():
    spec = importlib.util.spec_from_file_location(
        'convert_videomae_checkpoint', REPO / 'tools' / 'convert_videomae_checkpoint.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_command_line(tmp_path, capsys):
    tool = _tool()
    config = tmp_path / 'tiny_pretrain.py'
    config.write_text(textwrap.dedent(f'''
        default_scope = 'mmaction'
        custom_imports = dict(imports=['signmae_mm'], allow_failed_imports=False)
        model = {PRETRAINER!r}
    '''))
    src = tmp_path / 'official.pth'
    torch.save({'model': official_state_dict()}, src)
    dst = tmp_path / 'converted.pth'
    args = [str(src), str(dst), '--num-frames', '8', '--img-size', '32', '--config', str(config)]
    assert tool.main(args) == 0
    out = capsys.readouterr().out
    assert 'every source key was mapped' in out and '0 missing' in out and '0 mismatched' in out
    converted = torch.load(dst, weights_only=True)  # plain tensors and strings only
    _load_strict(converted['state_dict'])
    assert converted['meta']['converted_from'] == 'official'

    # The converted pretrainer checkpoint -> backbone only, for mmaction2's finetuning.
    backbone = tmp_path / 'backbone.pth'
    assert tool.main([str(dst), str(backbone), '--to', 'backbone']) == 0
    keys = torch.load(backbone, weights_only=True)['state_dict']
    assert keys and all(k.startswith('backbone.') for k in keys)


def test_command_line_fails_closed_on_unmapped_keys(tmp_path, capsys):
    """A source key the converter cannot place: nothing written, exit 1, unless allowed."""
    tool = _tool()
    bad = hf_state_dict(transformers5=True)
    bad['videomae.something_new.weight'] = torch.zeros(1)
    src, dst = tmp_path / 'hf.pth', tmp_path / 'converted.pth'
    torch.save(bad, src)
    args = [str(src), str(dst), '--num-frames', '8', '--img-size', '32']
    assert tool.main(args) == 1
    out = capsys.readouterr().out
    assert 'videomae.something_new.weight' in out and '--allow-unmapped' in out
    assert not dst.exists()
    assert tool.main(args + ['--strict']) == 1  # the old flag: same as the default

    assert tool.main(args + ['--allow-unmapped']) == 0
    assert 'PARTIAL: 1 unmapped' in capsys.readouterr().out
    meta = torch.load(dst, weights_only=True)['meta']
    assert meta['unmapped'] == ['videomae.something_new.weight']

    # Without the stray key, transformers 5's names convert in full by default.
    del bad['videomae.something_new.weight']
    torch.save(bad, src)
    assert tool.main(args) == 0
    assert 'every source key was mapped' in capsys.readouterr().out
    _load_strict(torch.load(dst, weights_only=True)['state_dict'])


def test_command_line_refuses_a_result_that_does_not_fit_the_config(tmp_path, capsys):
    tool = _tool()
    config = tmp_path / 'wider_pretrain.py'
    wider = dict(PRETRAINER, backbone=dict(PRETRAINER['backbone'], embed_dims=2 * DIMS))
    config.write_text(textwrap.dedent(f'''
        default_scope = 'mmaction'
        custom_imports = dict(imports=['signmae_mm'], allow_failed_imports=False)
        model = {wider!r}
    '''))
    src, dst = tmp_path / 'official.pth', tmp_path / 'converted.pth'
    torch.save({'model': official_state_dict()}, src)
    assert tool.main([str(src), str(dst), '--num-frames', '8', '--img-size', '32', '--config',
                      str(config)]) == 1
    assert 'NOT saved' in capsys.readouterr().out and not dst.exists()


@pytest.mark.requires('transformers')
def test_real_hugging_face_model_matches_ours():
    """Same predictions and loss as Hugging Face's model (transformers: a test requirement)."""
    import transformers
    config = transformers.VideoMAEConfig(
        image_size=32, patch_size=PATCH, num_frames=8, tubelet_size=TUBELET, hidden_size=DIMS,
        num_hidden_layers=DEPTH, num_attention_heads=4, intermediate_size=4 * DIMS,
        decoder_hidden_size=DEC_DIMS, decoder_num_hidden_layers=DEC_DEPTH,
        decoder_num_attention_heads=4, decoder_intermediate_size=4 * DEC_DIMS,
        use_mean_pooling=False, norm_pix_loss=True, layer_norm_eps=1e-6)
    torch.manual_seed(0)
    hf = transformers.VideoMAEForPreTraining(config).eval()
    with torch.no_grad():
        for param in hf.parameters():
            param.add_(torch.randn_like(param) * 0.05)
    result = convert_checkpoint(hf.state_dict(), num_frames=8, img_size=32)
    assert result.unmapped == []
    ours = MODELS.build(dict(PRETRAINER, data_preprocessor=dict(
        type='ActionDataPreprocessor', mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375], format_shape='NCTHW')))
    ours.load_state_dict(result.state_dict, strict=True)
    ours.eval()
    video = torch.randn(2, 3, 8, 32, 32)
    masks = torch.zeros(2, 64, dtype=torch.bool)
    masks[0, ::2] = True
    masks[1, 1::2] = True
    with torch.no_grad():
        expected = hf(video.transpose(1, 2), bool_masked_pos=masks)
        pred = ours(video[:, None], mode='tensor', masks=masks)
        loss = ours(video[:, None], mode='loss', masks=masks)['loss_rec']
    # HF's decoder norm uses LayerNorm's default eps (1e-5), ours 1e-6: tiny differences.
    torch.testing.assert_close(pred, expected.logits, atol=2e-4, rtol=1e-3)
    torch.testing.assert_close(loss, expected.loss, atol=2e-4, rtol=1e-3)
