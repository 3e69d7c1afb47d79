"""The demo configs (configs/demo/): they inherit the real configs and only shrink them, build
through the registries on a generated demo set, and the main job (tools/run_demo.sh) runs end to
end: pretraining -> finetuning from its checkpoint -> test, through mim."""
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope

import signmae_mm  # noqa: F401
from mmaction.registry import DATASETS, METRICS, MODELS
from signmae_mm.demo import write_demo_dataset
from signmae_mm.evaluation import SignAccMetric

REPO = Path(__file__).resolve().parents[2]
CONFIGS = REPO / 'configs'
DEMO = CONFIGS / 'demo'
HANDARM = DEMO / 'signmae-handarm_vit-tiny-p8_8x2x1_signdemo.py'
TUBE = DEMO / 'signmae-tube_vit-tiny-p8_8x2x1_signdemo.py'
RANDOM = DEMO / 'signmae-random_vit-tiny-p8_8x2x1_signdemo.py'
MOTION = DEMO / 'signmae-handarm-motion_vit-tiny-p8_8x2x1_signdemo.py'
MOTION_MASK = DEMO / 'signmae-motion_vit-tiny-p8_8x2x1_signdemo.py'
FINETUNE = DEMO / 'vit-tiny-p8_signmae-handarm-pre_8x2x1_signdemo.py'
SCRATCH = DEMO / 'vit-tiny-p8_scratch_8x2x1_signdemo.py'
PRETRAIN = [HANDARM, TUBE, RANDOM, MOTION, MOTION_MASK]
ALL = PRETRAIN + [FINETUNE, SCRATCH]
REAL_PRETRAIN = CONFIGS / 'signmae_pretrain.py'
REAL_FINETUNE = CONFIGS / 'signmae' / 'vit-base-p16_signmae-handarm-pre_16x4x1_wlasl2000.py'
BASES = {
    HANDARM: "_base_ = ['../signmae_pretrain.py']",
    TUBE: "_base_ = ['./signmae-handarm_vit-tiny-p8_8x2x1_signdemo.py']",
    RANDOM: "_base_ = ['./signmae-handarm_vit-tiny-p8_8x2x1_signdemo.py']",
    MOTION: "_base_ = ['./signmae-handarm_vit-tiny-p8_8x2x1_signdemo.py']",
    MOTION_MASK: "_base_ = ['./signmae-handarm_vit-tiny-p8_8x2x1_signdemo.py']",
    FINETUNE: "_base_ = ['../signmae/vit-base-p16_signmae-handarm-pre_16x4x1_wlasl2000.py']",
    SCRATCH: "_base_ = ['./vit-tiny-p8_signmae-handarm-pre_8x2x1_signdemo.py']",
}
# The clip geometry that the demo configs shrink (everything else of a transform is the base's).
GEOMETRY_KEYS = {'clip_len', 'frame_interval', 'input_size', 'scale', 'crop_size', 'patch_size',
                 'tubelet_size'}
#: mmengine's report of the documented exception (see configs/signmae/README.md).
NORM_EXCEPTION = dict(unexpected={'norm.weight', 'norm.bias'},
                      missing={'fc_norm.weight', 'fc_norm.bias'})


def _cfg(path: Path) -> Config:
    return Config.fromfile(str(path))


def _without(d: dict, keys) -> dict:
    return {k: v for k, v in d.items() if k not in keys}


def _pipeline(cfg: Config, split: str = 'train') -> list:
    return [dict(t) for t in cfg[f'{split}_dataloader'].dataset.pipeline]


@pytest.fixture(scope='module')
def demo_set(tmp_path_factory):
    """A tiny demo set in the layout of tools/make_demo_data.py (2 classes x 4 videos)."""
    root = tmp_path_factory.mktemp('demo_data')
    return write_demo_dataset(str(root), num_classes=2, videos_per_class=4, num_frames=16,
                              size=64, seed=5)


@pytest.mark.parametrize('path', ALL, ids=lambda p: p.name)
def test_inherits_and_imports_the_plugin(path):
    assert BASES[path] in path.read_text()
    cfg = _cfg(path)  # the plugin import and scope come from _base_/default_runtime.py
    assert cfg.custom_imports == dict(imports=['signmae_mm'], allow_failed_imports=False)
    assert cfg.default_scope == 'mmaction'


def test_pretraining_shrinks_the_entry_point_only():
    demo, real = _cfg(HANDARM), _cfg(REAL_PRETRAIN)
    backbone = demo.model.backbone
    assert (backbone.img_size, backbone.num_frames) == (64, 8)
    assert (backbone.patch_size, backbone.tubelet_size) == (8, 4)
    assert backbone.embed_dims <= 192 and 4 <= backbone.depth <= 6
    # The model differs only in sizes and in the attention kernel (explicit, the faster one on
    # a CPU at the demo's token counts).
    assert backbone.use_sdpa is False and demo.model.neck.use_sdpa is False
    size_keys = {'img_size', 'num_frames', 'embed_dims', 'depth', 'num_heads', 'patch_size',
                 'tubelet_size', 'use_sdpa'}
    assert _without(backbone, size_keys) == _without(real.model.backbone, size_keys)
    assert _without(demo.model.neck, size_keys) == _without(real.model.neck, size_keys)
    assert _without(demo.model, {'backbone', 'neck'}) == _without(real.model,
                                                                  {'backbone', 'neck'})
    # The pipeline is the real one at 8x2 frames of 64x64.
    ours, theirs = _pipeline(demo), _pipeline(real)
    assert [t['type'] for t in ours] == [t['type'] for t in theirs]
    for a, b in zip(ours, theirs):
        # the stated departures: milder multi-scale crops (a subset of VideoMAE's scales) and
        # mask ratio 0.75 (128 tokens)
        keys = GEOMETRY_KEYS | ({'scales'} if a['type'] == 'MultiScaleCrop' else set()) | (
            {'ratio'} if a['type'] == 'SegmentGuidedHandMask' else set())
        assert _without(a, keys) == _without(b, keys)
    by_type = {t['type']: t for t in ours}
    real_scales = {t['type']: t for t in theirs}['MultiScaleCrop']['scales']
    assert set(by_type['MultiScaleCrop']['scales']) < set(real_scales)
    assert 1 in by_type['MultiScaleCrop']['scales']
    sample = by_type['SampleSignFrames']
    assert (sample['clip_len'], sample['frame_interval']) == (8, 2)
    assert by_type['SegmentGuidedHandMask']['input_size'] == (8, 64, 64)
    assert by_type['SegmentGuidedHandMask']['ratio'] == 0.75
    assert by_type['SegmentGuidedHandMask']['visible_slots'] == 1
    # the encoder (and decoder) in bfloat16 where the CPU has it; the optimiser is the real one
    assert demo.optim_wrapper.type == 'CPUAutocastOptimWrapper'
    assert demo.optim_wrapper.optimizer.type == real.optim_wrapper.optimizer.type
    # Same optimiser and schedule shape, shorter.
    assert demo.optim_wrapper.optimizer.betas == real.optim_wrapper.optimizer.betas
    assert demo.optim_wrapper.paramwise_cfg == real.optim_wrapper.paramwise_cfg
    assert [s['type'] for s in demo.param_scheduler] == [s['type'] for s in real.param_scheduler]
    assert demo.param_scheduler[1]['end'] == demo.train_cfg.max_epochs
    assert demo.train_dataloader.dataset.type == 'SignVideoDataset'
    assert demo.train_dataloader.dataset.ann_file == 'data/demo/train.json'


@pytest.mark.parametrize('path,mask', [(TUBE, 'TubeMask'), (RANDOM, 'RandomMask'),
                                       (MOTION_MASK, 'MotionAwareMask')],
                         ids=['tube', 'random', 'motion'])
def test_masking_twins_differ_only_in_the_mask(path, mask):
    hand, twin = _cfg(HANDARM), _cfg(path)
    pairs = list(zip(_pipeline(hand), _pipeline(twin)))
    assert len(pairs) == len(_pipeline(hand))
    for a, b in pairs:
        if a['type'] == 'SegmentGuidedHandMask':
            # the hand-arm mask's own argument goes with it
            assert b['type'] == mask and 'visible_slots' not in b
            assert _without(a, {'type', 'visible_slots'}) == _without(b, {'type'})
        else:
            assert a == b
    skip = {'train_pipeline', 'train_dataloader', 'filename'}
    assert _without(hand.to_dict(), skip) == _without(twin.to_dict(), skip)


def test_motion_twin_differs_only_in_the_heads():
    hand, twin = _cfg(HANDARM).to_dict(), _cfg(MOTION).to_dict()
    assert twin['model'].pop('head') is None
    pixel, motion = twin['model'].pop('heads')
    assert pixel == hand['model'].pop('head')
    assert motion == dict(type='MotionReconstructionHead', lag=3, loss_weight=1.0)
    assert _without(hand, {'filename'}) == _without(twin, {'filename'})
    # The model: the hand-arm demo's tensors and the motion head's predictor.
    init_default_scope('mmaction')
    ours = MODELS.build(_cfg(MOTION).model).state_dict()
    theirs = MODELS.build(_cfg(HANDARM).model).state_dict()
    assert set(ours) - set(theirs) == {'heads.1.predictor.weight', 'heads.1.predictor.bias'}
    assert set(theirs) <= set(ours)


def test_finetuning_shrinks_the_real_finetuning_and_fits_the_demo_encoder():
    demo, real, pre = _cfg(FINETUNE), _cfg(REAL_FINETUNE), _cfg(HANDARM)
    model = demo.model
    assert model.type == 'Recognizer3D' and model.backbone.type == 'VisionTransformer'
    for key in ('img_size', 'patch_size', 'embed_dims', 'depth', 'num_heads', 'num_frames',
                'tubelet_size', 'qkv_bias', 'mlp_ratio'):
        assert model.backbone[key] == pre.model.backbone[key], key
    # The real recipe: same regularisation, blending, head, optimiser constructor, metric set.
    size_keys = {'img_size', 'num_frames', 'embed_dims', 'depth', 'num_heads', 'init_cfg',
                 'drop_path_rate', 'patch_size', 'tubelet_size'}
    assert _without(model.backbone, size_keys) == _without(real.model.backbone, size_keys)
    assert model.backbone.drop_path_rate == 0  # stated: no stochastic depth at 4 blocks
    assert model.cls_head.num_classes == 10
    assert model.cls_head.in_channels == model.backbone.embed_dims
    assert _without(model.cls_head, {'num_classes', 'in_channels'}) == _without(
        real.model.cls_head, {'num_classes', 'in_channels'})
    # The stated departures from WLASL's augmentation: no mixup / cutmix, milder crops.
    assert model.data_preprocessor.blending is None
    assert _without(model.data_preprocessor, {'blending'}) == _without(
        real.model.data_preprocessor, {'blending'})
    assert demo.optim_wrapper.constructor == real.optim_wrapper.constructor
    assert demo.optim_wrapper.type == 'CPUAutocastOptimWrapper'
    assert demo.optim_wrapper.get('clip_grad') == real.optim_wrapper.get('clip_grad')
    decay_rate = real.optim_wrapper.paramwise_cfg.decay_rate
    assert demo.optim_wrapper.paramwise_cfg.decay_rate == decay_rate
    assert demo.optim_wrapper.paramwise_cfg.num_layers == model.backbone.depth
    for split in ('train', 'val'):
        ours, theirs = _pipeline(demo, split), _pipeline(real, split)
        assert [t['type'] for t in ours] == [t['type'] for t in theirs]
        for a, b in zip(ours, theirs):
            keys = GEOMETRY_KEYS | ({'area_range', 'aspect_ratio_range'}
                                    if a['type'] == 'RandomResizedCrop' else set())
            assert _without(a, keys) == _without(b, keys)
    crop = [t for t in _pipeline(demo) if t['type'] == 'RandomResizedCrop'][0]
    assert crop['area_range'][0] >= 0.5
    assert _pipeline(demo, 'test') == _pipeline(demo, 'val')
    assert demo.val_evaluator.type == demo.test_evaluator.type == 'SignAccMetric'
    assert set(demo.test_evaluator.metric_list) == set(real.test_evaluator.metric_list)
    # The default checkpoint is where `mim train` puts the demo pretraining's last epoch.
    init = model.backbone.init_cfg
    assert init.type == 'Pretrained' and init.prefix == 'backbone.'
    assert init.checkpoint == (f'work_dirs/{HANDARM.stem}/epoch_{pre.train_cfg.max_epochs}.pth')


def test_scratch_twin_differs_only_in_the_initialisation():
    pre, scratch = _cfg(FINETUNE).to_dict(), _cfg(SCRATCH).to_dict()
    init = scratch['model']['backbone'].pop('init_cfg')
    pre['model']['backbone'].pop('init_cfg')
    assert all(i['type'] in ('TruncNormal', 'Constant') for i in init)
    skip = {'filename', 'pretrained'}
    assert _without(pre, skip) == _without(scratch, skip)


@pytest.mark.parametrize('path', ALL, ids=lambda p: p.name)
def test_builds_through_the_registries(path, demo_set):
    cfg = _cfg(path)
    init_default_scope('mmaction')
    model_cfg = cfg.model.to_dict()
    model_cfg['backbone'].pop('init_cfg', None)  # the pretraining checkpoint is not there
    model = MODELS.build(model_cfg)
    loader = cfg.train_dataloader.dataset.to_dict()
    loader.update(ann_file=demo_set.ann_files['train'],
                  data_prefix=dict(video=demo_set.video_prefix,
                                   sign_ann=demo_set.sign_ann_prefix))
    dataset = DATASETS.build(loader)
    sample = dataset[0]
    assert tuple(sample['inputs'].shape) == (1, 3, 8, 64, 64)
    if path in PRETRAIN:
        mask = np.asarray(sample['data_samples'].mask)
        assert mask.shape == (2 * 8 * 8, )
        # The tube mask masks the same cells in both time slots (int(0.75 * 64) = 48).
        assert mask.sum() == (2 * 48 if path == TUBE else round(0.75 * mask.size))
        assert model.backbone.pos_embed.shape[1] == mask.size
    else:
        assert isinstance(METRICS.build(cfg.test_evaluator), SignAccMetric)
        assert model.cls_head.fc_cls.out_features == 10


# --------------------------------------------------------------------------- the main job
def _load_report(log: str) -> dict:
    """mmengine's report of a Pretrained init that did not match exactly."""
    unexpected = re.search(r'unexpected key in source state_dict: ([^\n]*)', log)
    missing = re.search(r'missing keys in source state_dict: ([^\n]*)', log)
    split = lambda m: set(m.group(1).strip().split(', ')) if m else set()  # noqa: E731
    return dict(unexpected=split(unexpected), missing=split(missing))


def test_run_demo_end_to_end(demo_set, tmp_path):
    """tools/run_demo.sh on 2 classes x 4 videos, one epoch each: pretraining -> finetuning that
    loads every backbone weight but the documented norm/fc_norm -> mim test -> both metrics."""
    mim = shutil.which('mim', path=str(Path(sys.executable).parent)) or shutil.which('mim')
    if mim is None:
        pytest.fail('`mim` (openmim) is not installed beside this Python')
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    env['PATH'] = f'{Path(sys.executable).parent}{os.pathsep}{env.get("PATH", "")}'
    env.update(SIGNMAE_DEMO_DATA=demo_set.root, SIGNMAE_DEMO_WORK_DIR=str(tmp_path / 'work'))
    proc = subprocess.run(
        ['bash', str(REPO / 'tools' / 'run_demo.sh'), '--cfg-options', 'train_cfg.max_epochs=1'],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-6000:]
    assert 'demo set found' in out  # the given set, not a regenerated one

    pretrain_dir = tmp_path / 'work' / HANDARM.stem
    finetune_dir = tmp_path / 'work' / FINETUNE.stem
    assert (pretrain_dir / 'epoch_1.pth').is_file() and (finetune_dir / 'epoch_1.pth').is_file()
    # The finetuning loaded the pretraining checkpoint: its log names it, and mmengine reports
    # exactly the documented norm/fc_norm exception as unmatched.
    logs = list(finetune_dir.glob('2*/2*.log'))
    assert len(logs) == 1, logs
    log = logs[0].read_text()
    assert f'load backbone. in model from: {pretrain_dir / "epoch_1.pth"}' in log, log[-3000:]
    assert _load_report(log) == NORM_EXCEPTION, log[-3000:]

    # The test printed both metrics (fractions in mmengine's log, percent in our summary).
    test_line = re.search(r'Epoch\(test\).*', out)
    assert test_line and 'acc/per_instance_top1' in test_line.group(0) \
        and 'acc/per_class_top1' in test_line.group(0), out[-3000:]
    # The summary: the model beside the raw-pixel baseline, measured in the same run.
    rows = {name: (float(m), float(p)) for name, m, p in re.findall(
        r'^\s+(per-instance top-1|per-instance top-5|per-class top-1|top-1, shape pairs|right pair)'
        r'\s+([\d.]+)%\s+([\d.]+)%$', out, flags=re.M)}
    assert set(rows) == {'per-instance top-1', 'per-instance top-5', 'per-class top-1',
                         'top-1, shape pairs', 'right pair'}, out[-3000:]
    assert all(0 <= v <= 100 for row in rows.values() for v in row)
    assert 'chance 50.0 %' in out
    work = tmp_path / 'work'
    baseline = json.loads((work / 'pixel_baseline.json').read_text())
    assert baseline['num_test'] == len(json.loads(Path(demo_set.ann_files['test']).read_text())
                                       ['data_list'])
    assert rows['per-instance top-1'][1] == pytest.approx(
        100 * baseline['acc/per_instance_top1'], abs=0.01)
    # What pretraining learned: the probes' rows are tools/linear_probe.py's figures,
    # pretrained / random encoder, mean-pooled then all tokens.
    probes = {w: json.loads((work / f'probe_{w}.json').read_text())['probes']
              for w in ('pretrained', 'random')}
    row = re.search(r'^\s+per-instance top-1\s+([\d.]+) /\s+([\d.]+)\s+([\d.]+) /\s+([\d.]+)$',
                    out, flags=re.M)
    assert row, out[-3000:]
    key = 'acc/per_instance_top1'
    expected = [100 * probes[w][p][key] for p in ('mean', 'tokens')
                for w in ('pretrained', 'random')]
    assert [float(v) for v in row.groups()] == pytest.approx(expected, abs=0.01)
    assert probes['pretrained']['tokens']['feature_dim'] == 128 * 2 * 8 * 8  # C x tokens
    # how large a hand is in tokens, computed from the test clips' sign annotations
    hand = re.search(r'a hand spans ([\d.]+) tokens across', out)
    assert hand and 0.5 < float(hand.group(1)) < 3, out[-3000:]
    # The reconstruction picture: the first test clip of each sign of the shape pair.
    assert (work / 'reconstruction.png').stat().st_size > 0
    assert len(re.findall(r'loss_rec [\d.]+ .*floor [\d.]+', out)) == 2, out[-3000:]


def test_run_demo_refuses_a_set_of_other_geometry(tmp_path):
    """A demo set written by an earlier version (other frame count or size) is refused with the
    file named, before any training starts."""
    old = write_demo_dataset(str(tmp_path / 'old'), num_classes=2, videos_per_class=3,
                             num_frames=8, size=64, seed=1)
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    env['PATH'] = f'{Path(sys.executable).parent}{os.pathsep}{env.get("PATH", "")}'
    env.update(SIGNMAE_DEMO_DATA=old.root, SIGNMAE_DEMO_WORK_DIR=str(tmp_path / 'work'))
    proc = subprocess.run(['bash', str(REPO / 'tools' / 'run_demo.sh')], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert 'vocabulary.json: the set has 8 frames of 64 px' in out, out[-2000:]
    assert 'is not a demo set of this version' in out
    assert not (tmp_path / 'work').exists()  # nothing trained
