"""The SignMAE configs: inheritance, the VideoMAE recipe values, and models built from them."""
import json
from pathlib import Path

import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope

import signmae_mm  # noqa: F401
from mmaction.registry import MODELS

CONFIGS = Path(__file__).resolve().parents[2] / 'configs'
ENTRY = CONFIGS / 'signmae_pretrain.py'
HANDARM_B = CONFIGS / 'signmae' / 'signmae-handarm_vit-base-p16_16x4x1_wlasl2000.py'
TUBE_B = CONFIGS / 'signmae' / 'signmae-tube_vit-base-p16_16x4x1_wlasl2000.py'
HANDARM_S = CONFIGS / 'signmae' / 'signmae-handarm_vit-small-p16_16x4x1_wlasl2000.py'
HANDARM_L = CONFIGS / 'signmae' / 'signmae-handarm_vit-large-p16_16x4x1_wlasl2000.py'
AMP_B = CONFIGS / 'signmae' / 'signmae-handarm_vit-base-p16_amp-16x4x1_wlasl2000.py'
DUAL_B = CONFIGS / 'signmae' / 'signmae-handarm-dual_vit-base-p16_amp-16x4x1_wlasl2000.py'
REPEAT_B = CONFIGS / 'signmae' / 'signmae-handarm_vit-base-p16_amp-repeat4-16x4x1_wlasl2000.py'
FINETUNE = CONFIGS / 'signmae' / 'vit-base-p16_signmae-handarm-pre_16x4x1_wlasl2000.py'
PRETRAIN = [ENTRY, HANDARM_B, TUBE_B, HANDARM_S, HANDARM_L, AMP_B, DUAL_B, REPEAT_B]
ALL = PRETRAIN + [FINETUNE]


def _mask_transform(cfg):
    masks = [t for t in cfg.train_dataloader.dataset.pipeline if t['type'].endswith('Mask')]
    assert len(masks) == 1
    return masks[0]


def _without(d: dict, *keys) -> dict:
    return {k: v for k, v in d.items() if k not in keys}


RUNTIME = CONFIGS / '_base_' / 'default_runtime.py'
PLUGIN = dict(imports=['signmae_mm'], allow_failed_imports=False)
#: Every config a user can run (the bases are parts, not runs).
EVERY = sorted(p for p in CONFIGS.rglob('*.py') if '_base_' not in p.parts)


@pytest.mark.parametrize('path', EVERY, ids=lambda p: str(p.relative_to(CONFIGS)))
def test_every_config_gets_the_plugin_and_scope_from_the_runtime_base(path):
    """`custom_imports` / `default_scope` have one home, `_base_/default_runtime.py`: every config
    resolves them, and only a config outside that base's chain (the stock-mmaction2 smoke
    config) states them itself."""
    cfg = Config.fromfile(str(path))
    assert cfg.default_scope == 'mmaction'
    assert cfg.custom_imports == PLUGIN
    inherits_runtime = str(RUNTIME) in cfg.text  # the text of every file of the chain
    states_them = any(line.startswith(('custom_imports', 'default_scope'))
                      for line in path.read_text().splitlines())
    assert inherits_runtime != states_them, (inherits_runtime, states_them)


def _step(pipeline, kind):
    found = [t for t in pipeline if t['type'] == kind]
    assert len(found) == 1, (kind, [t['type'] for t in pipeline])
    return found[0]


PRETRAIN_ALL = [p for p in EVERY if p.name.startswith('signmae')]


@pytest.mark.parametrize('path', PRETRAIN_ALL, ids=lambda p: str(p.relative_to(CONFIGS)))
def test_pretraining_encoder_sampling_crop_and_mask_share_one_geometry(path):
    cfg = Config.fromfile(str(path))
    backbone, pipeline = cfg.model.backbone, cfg.train_dataloader.dataset.pipeline
    assert list(pipeline) == list(cfg.train_pipeline)
    mask = _mask_transform(cfg)
    size, frames = backbone.img_size, backbone.num_frames
    assert tuple(mask.input_size) == (frames, size, size)
    assert (mask.patch_size, mask.tubelet_size) == (backbone.patch_size, backbone.tubelet_size)
    assert _step(pipeline, 'SampleSignFrames').clip_len == frames
    assert _step(pipeline, 'MultiScaleCrop').input_size == size
    assert tuple(_step(pipeline, 'Resize').scale) == (size, size)


FINETUNE_ALL = [p for p in EVERY if p.name.startswith('vit-')]


@pytest.mark.parametrize('path', FINETUNE_ALL, ids=lambda p: str(p.relative_to(CONFIGS)))
def test_finetuning_encoder_takes_the_clips_of_every_split(path):
    cfg = Config.fromfile(str(path))
    backbone = cfg.model.backbone
    for split in ('train', 'val', 'test'):
        pipeline = cfg[f'{split}_dataloader'].dataset.pipeline
        assert list(pipeline) == list(cfg[f'{split}_pipeline']), split
        assert _step(pipeline, 'SampleSignFrames').clip_len == backbone.num_frames, split
        last = [t for t in pipeline if t['type'] in ('Resize', 'CenterCrop', 'ThreeCrop')][-1]
        side = last.scale[-1] if last['type'] == 'Resize' else last.crop_size
        assert side == backbone.img_size, split


def test_entry_point_is_the_vit_b_hand_arm_recipe():
    cfg = Config.fromfile(str(ENTRY))
    assert cfg.model.to_dict() == Config.fromfile(str(HANDARM_B)).model.to_dict()
    model = cfg.model
    assert model.type == 'VideoMAEPretrainer'
    assert model.backbone.type == 'MaskedVisionTransformer'
    backbone = model.backbone
    assert (backbone.embed_dims, backbone.depth, backbone.num_heads) == (768, 12, 12)
    assert (model.backbone.img_size, model.backbone.num_frames) == (224, 16)
    assert (model.backbone.patch_size, model.backbone.tubelet_size) == (16, 2)
    assert (model.neck.embed_dims, model.neck.depth, model.neck.num_heads) == (384, 4, 6)
    assert model.head.norm_pix is True
    assert model.data_preprocessor.type == 'MaskedVideoDataPreprocessor'
    mask = _mask_transform(cfg)
    assert mask.type == 'SegmentGuidedHandMask' and mask.ratio == 0.9
    assert cfg.train_dataloader.dataset.type == 'SignVideoDataset'
    pipeline = cfg.train_dataloader.dataset.pipeline
    sample = [t for t in pipeline if t['type'] == 'SampleSignFrames'][0]
    assert (sample.clip_len, sample.frame_interval, sample.num_clips) == (16, 4, 1)
    pack = cfg.train_dataloader.dataset.pipeline[-1]
    assert pack == dict(type='PackActionInputs', algorithm_keys=('mask', ))
    # Optimiser and schedule (VideoMAE).
    optim = cfg.optim_wrapper
    assert optim.type == 'OptimWrapper'
    assert optim.optimizer.type == 'AdamW' and tuple(optim.optimizer.betas) == (0.9, 0.95)
    assert optim.optimizer.weight_decay == 0.05 and optim.optimizer.lr == 1.5e-4
    assert cfg.auto_scale_lr == dict(enable=True, base_batch_size=256)
    warmup, cosine = cfg.param_scheduler
    assert warmup.type == 'LinearLR' and warmup.end == 40 == cosine.begin
    assert cosine.type == 'CosineAnnealingLR' and cosine.end == cfg.train_cfg.max_epochs


def test_tube_twin_differs_only_in_the_mask():
    hand, tube = Config.fromfile(str(HANDARM_B)), Config.fromfile(str(TUBE_B))
    assert _mask_transform(tube).type == 'TubeMask' and _mask_transform(tube).ratio == 0.9
    strip = lambda cfg: [t for t in cfg.train_dataloader.dataset.pipeline  # noqa: E731
                         if not t['type'].endswith('Mask')]
    assert strip(hand) == strip(tube)
    # the hand-arm mask's own argument (the hands of one slot left visible) goes with it
    assert _mask_transform(hand).visible_slots == 1 and 'visible_slots' not in _mask_transform(tube)
    assert _without(_mask_transform(hand), 'type', 'visible_slots') == _without(
        _mask_transform(tube), 'type')
    for key in ('model', 'optim_wrapper', 'param_scheduler', 'train_cfg', 'auto_scale_lr'):
        assert hand[key] == tube[key], key


@pytest.mark.parametrize('path,dims,decoder', [(HANDARM_S, (384, 12, 6), (192, 4, 3)),
                                               (HANDARM_L, (1024, 24, 16), (512, 4, 8))],
                         ids=['vit-s', 'vit-l'])
def test_size_variants_change_the_encoder_and_use_videomaes_decoder(path, dims, decoder):
    """VideoMAE's own sizes (its pretrain_videomae_{small,large}_patch16_224), so that its
    published checkpoints load without overrides."""
    base, variant = Config.fromfile(str(HANDARM_B)).to_dict(), Config.fromfile(
        str(path)).to_dict()
    backbone, neck = variant['model']['backbone'], variant['model']['neck']
    assert (backbone['embed_dims'], backbone['depth'], backbone['num_heads']) == dims
    assert (neck['embed_dims'], neck['depth'], neck['num_heads']) == decoder
    assert _without(neck, 'embed_dims', 'num_heads') == _without(
        base['model']['neck'], 'embed_dims', 'num_heads')
    assert _without(variant['model'], 'backbone', 'neck') == _without(
        base['model'], 'backbone', 'neck')
    assert _without(variant, 'model', 'filename') == _without(base, 'model', 'filename')


def test_repeated_views_variant_changes_only_the_views_and_their_collate():
    amp, rep = Config.fromfile(str(AMP_B)).to_dict(), Config.fromfile(str(REPEAT_B)).to_dict()
    loader = rep['train_dataloader']
    assert loader['dataset']['num_repeats'] == 4
    assert loader['collate_fn'] == dict(type='flatten_views_collate')
    assert loader['batch_size'] == amp['train_dataloader']['batch_size']  # videos per step
    assert _without(loader['dataset'], 'num_repeats') == amp['train_dataloader']['dataset']
    assert _without(rep, 'train_dataloader', 'filename') == _without(
        amp, 'train_dataloader', 'filename')


def test_gpu_variants_use_amp():
    amp, dual = Config.fromfile(str(AMP_B)), Config.fromfile(str(DUAL_B))
    assert amp.optim_wrapper.type == 'AmpOptimWrapper'
    assert amp.optim_wrapper.optimizer.betas == (0.9, 0.95)
    assert dual.optim_wrapper.type == 'AmpOptimWrapper' and dual.model.decoder_keep_ratio == 0.5


@pytest.mark.parametrize('path', [HANDARM_S, HANDARM_B, DUAL_B], ids=lambda p: p.name)
def test_pretraining_models_build_from_configs(path):
    cfg = Config.fromfile(str(path))
    model = MODELS.build(cfg.model)
    sizes = dict(model.named_parameters())
    embed = cfg.model.backbone.embed_dims
    assert sizes['backbone.blocks.0.attn.qkv.weight'].shape == (3 * embed, embed)
    decoder = cfg.model.neck.embed_dims
    assert decoder == (192 if path == HANDARM_S else 384)
    assert sizes['neck.encoder_to_decoder.weight'].shape == (decoder, embed)
    assert sizes['neck.head.weight'].shape == (2 * 16 * 16 * 3, decoder)
    assert model.decoder_keep_ratio == cfg.model.get('decoder_keep_ratio')
    assert len(model.backbone.blocks) == 12 and len(model.neck.blocks) == 4
    # The optimiser wrapper builds as configured (no weight decay on 1-D params / mask token).
    from mmengine.optim import build_optim_wrapper
    optim_cfg = cfg.optim_wrapper.to_dict()
    optim_cfg['type'] = 'OptimWrapper'  # AmpOptimWrapper needs a GPU
    optim_cfg.pop('loss_scale', None)
    wrapper = build_optim_wrapper(model, optim_cfg)
    decay_of = {id(p): g['weight_decay'] for g in wrapper.param_groups for p in g['params']}
    assert decay_of[id(model.neck.mask_token)] == 0.
    assert decay_of[id(model.backbone.blocks[0].attn.q_bias)] == 0.
    assert decay_of[id(model.backbone.blocks[0].attn.qkv.weight)] == 0.05


STATE_DICTS = CONFIGS.parent / 'tests' / 'data' / 'legacy' / 'pretrainer_state_dicts.json'


@pytest.mark.parametrize('config', sorted(json.loads(STATE_DICTS.read_text())))
def test_one_head_configs_build_the_model_of_before_the_heads_list(config):
    """The `head=` configs build the tensors they built before `heads` existed (issue 24), so
    their checkpoints load both ways."""
    recorded = json.loads(STATE_DICTS.read_text())[config]
    init_default_scope('mmaction')
    model = MODELS.build(Config.fromfile(str(CONFIGS.parent / config)).model)
    assert {k: list(v.shape) for k, v in model.state_dict().items()} == recorded
    assert len(model.heads) == 1 and model.head is model.heads[0]


def test_finetune_config_is_stock_mmaction2():
    cfg = Config.fromfile(str(FINETUNE))
    model = cfg.model
    assert model.type == 'Recognizer3D' and model.backbone.type == 'VisionTransformer'
    assert model.backbone.use_mean_pooling is True and model.backbone.drop_path_rate == 0.1
    init = model.backbone.init_cfg
    assert init.type == 'Pretrained' and init.prefix == 'backbone.'
    assert model.cls_head.label_smooth_eps == 0.1
    augments = {a['type']: a['alpha'] for a in model.data_preprocessor.blending.augments}
    assert augments == {'MixupBlending': 0.8, 'CutmixBlending': 1.0}
    assert cfg.optim_wrapper.constructor == 'LearningRateDecayOptimizerConstructor'
    assert cfg.optim_wrapper.paramwise_cfg.decay_rate == 0.75
    assert cfg.optim_wrapper.optimizer.lr == 1e-3
    assert cfg.val_evaluator.type == 'AccMetric'
    assert set(cfg.val_evaluator.metric_list) == {'top_k_accuracy', 'mean_class_accuracy'}
    # Same encoder geometry as the pretraining config (so every backbone key fits).
    pre = Config.fromfile(str(HANDARM_B)).model.backbone
    for key in ('img_size', 'patch_size', 'embed_dims', 'depth', 'num_heads', 'num_frames',
                'tubelet_size', 'qkv_bias'):
        assert model.backbone[key] == pre[key], key
    init_default_scope('mmaction')  # Recognizer3D builds its preprocessor from mmengine's root
    ft = MODELS.build(dict(model, backbone=dict(model.backbone, init_cfg=None)))
    pretrainer = MODELS.build(Config.fromfile(str(HANDARM_B)).model)
    ours = {k[len('backbone.'):]: v.shape for k, v in pretrainer.state_dict().items()
            if k.startswith('backbone.')}
    theirs = {k: v.shape for k, v in ft.backbone.state_dict().items()}
    assert set(ours) ^ set(theirs) == {'norm.weight', 'norm.bias', 'fc_norm.weight',
                                       'fc_norm.bias'}
    assert all(ours[k] == theirs[k] for k in set(ours) & set(theirs))


PARTS = sorted((CONFIGS / '_base_').rglob('*.py'))


@pytest.mark.parametrize('path', PARTS, ids=lambda p: str(p.relative_to(CONFIGS)))
def test_every_part_loads_on_its_own(path):
    """The parts under `_base_/` are what user configs inherit: each resolves by itself (its
    own bases included), without the plugin import or scope, which only the runtime sets."""
    cfg = Config.fromfile(str(path))
    assert len(cfg) > 0
    assert ('custom_imports' in cfg) == (path == RUNTIME)
