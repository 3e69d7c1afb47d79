"""The heatmap-stream, video-stream and fusion configs: inheritance, the decisions they encode
(keypoints, sigma, crop shared with RGB, normalisation shared with the video streams) and
dataset swaps that change only the data, the classes and the stream checkpoints."""
import copy
import functools
from pathlib import Path

import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope

import signmae_mm  # noqa: F401
from mmaction.registry import MODELS
from signmae_mm.datasets.transforms import NLA_SLR_63, NLA_SLR_63_LEFT_KP, NLA_SLR_63_RIGHT_KP

CONFIGS = Path(__file__).resolve().parents[2] / 'configs'
HEATMAP = CONFIGS / 'heatmap'
FUSION = CONFIGS / 'fusion'
STREAMS = FUSION / 'streams'
DATASETS = ('wlasl2000', 'slovo', 'nmfs-csl')
NUM_CLASSES = dict(wlasl2000=2000, slovo=1001, **{'nmfs-csl': 1067})
VIDEO_HANDARM = CONFIGS / 'signmae' / 'vit-base-p16_signmae-handarm-pre_16x4x1_wlasl2000.py'


def heatmap_cfg(ds):
    return HEATMAP / f'heatmap-c3d_nla63-112px_16x4x1_{ds}.py'


def video_cfg(kind, ds):
    if (kind, ds) == ('handarm', 'wlasl2000'):
        return VIDEO_HANDARM
    return STREAMS / f'vit-base-p16_signmae-{kind}-pre_16x4x1_{ds}.py'


def fusion_cfg(mode, ds):
    return FUSION / f'{mode}-fusion_vit-b-handarm-tube_heatmap-c3d_16x4x1_{ds}.py'


OURS = ([heatmap_cfg(d) for d in DATASETS] + [fusion_cfg(m, d) for m in ('late', 'learned')
                                                for d in DATASETS] +
        [video_cfg(k, d) for k in ('handarm', 'tube') for d in DATASETS][1:])


@functools.lru_cache(maxsize=None)
def _load(path) -> Config:
    """A config, parsed once (tests must not modify it)."""
    return Config.fromfile(str(path))


def _step(pipeline, kind):
    found = [t for t in pipeline if t['type'] == kind]
    assert len(found) == 1, (kind, [t['type'] for t in pipeline])
    return found[0]


@pytest.mark.parametrize('path', OURS, ids=lambda p: p.name)
def test_configs_import_the_plugin_in_mmaction_scope_and_inherit(path):
    cfg = _load(path)
    assert cfg.default_scope == 'mmaction'
    assert cfg.custom_imports == dict(imports=['signmae_mm'], allow_failed_imports=False)
    assert '_base_' in path.read_text()


def test_heatmap_stream_encodes_the_keypoint_decisions():
    cfg = _load(heatmap_cfg('wlasl2000'))
    train = cfg.train_dataloader.dataset.pipeline
    assert _step(train, 'LoadSignAnnotation').with_pose_keys is True
    assert _step(train, 'SelectKeypoints').keypoints == 'nla_slr_63'
    flip = _step(train, 'Flip')
    assert tuple(flip.left_kp) == NLA_SLR_63_LEFT_KP and tuple(flip.right_kp) == NLA_SLR_63_RIGHT_KP
    for which in ('train', 'val', 'test'):
        pipeline = cfg[f'{which}_dataloader'].dataset.pipeline
        target = _step(pipeline, 'GeneratePoseTarget')
        crop = [t for t in pipeline if t['type'] in ('Resize', 'CenterCrop')][-1]
        side = crop.scale[0] if crop['type'] == 'Resize' else crop.crop_size
        assert side * target.scaling == 112  # 112x112 heatmaps
        assert target.sigma == pytest.approx(8 * 112 / 256)  # NLA-SLR: 8 px on a 256 map
        assert target.use_score and target.with_kp and not target.with_limb
        assert _step(pipeline, 'FormatShape').input_format == 'NCTHW_Heatmap'
        assert 'DecordDecode' not in [t['type'] for t in pipeline]  # keypoints only
        assert _step(pipeline, 'ImgShapeFromAnnotation')
    assert cfg.model.backbone.type == 'HeatmapC3D'
    assert cfg.model.backbone.in_channels == len(NLA_SLR_63) == 63
    assert cfg.val_evaluator.type == 'SignAccMetric'
    init_default_scope('mmaction')
    backbone = MODELS.build(cfg.model.backbone)
    assert cfg.model.cls_head.in_channels == backbone.out_channels


def _spatial(pipeline):
    return [dict(t) for t in pipeline
            if t['type'] in ('Resize', 'RandomResizedCrop', 'CenterCrop', 'ThreeCrop')]


def test_heatmaps_are_cropped_as_the_video_streams_rgb():
    video, heat = _load(VIDEO_HANDARM), _load(heatmap_cfg('wlasl2000'))
    for which in ('train', 'val'):
        assert _spatial(heat[f'{which}_dataloader'].dataset.pipeline) == _spatial(
            video[f'{which}_dataloader'].dataset.pipeline), which
    for mode in ('late', 'learned'):
        fused = _load(fusion_cfg(mode, 'wlasl2000'))
        which = ['val', 'test'] + (['train'] if mode == 'learned' else [])
        for w in which:
            ref = heat if w == 'test' else video  # ThreeCrop moves no keypoints: centre crop
            assert _spatial(fused[f'{w}_dataloader'].dataset.pipeline) == _spatial(
                ref[f'{w}_dataloader'].dataset.pipeline), (mode, w)
            sample = _step(fused[f'{w}_dataloader'].dataset.pipeline, 'SampleSignFrames')
            ref_sample = _step(ref[f'{w}_dataloader'].dataset.pipeline, 'SampleSignFrames')
            assert sample == ref_sample, (mode, w)


def test_fusion_normalises_each_input_as_its_streams_were_trained():
    fused, video = _load(fusion_cfg('late', 'wlasl2000')), _load(VIDEO_HANDARM)
    heat = _load(heatmap_cfg('wlasl2000'))
    pre = fused.model.data_preprocessor
    assert pre.type == 'MultiModalDataPreprocessor'
    for key, stream in (('imgs', video), ('heatmap_imgs', heat)):
        ours = pre.preprocessors[key]
        for field in ('mean', 'std', 'format_shape'):
            assert ours.get(field) == stream.model.data_preprocessor.get(field), (key, field)
    assert {n: s.input_key for n, s in fused.model.streams.items()} == dict(
        rgb_handarm='imgs', rgb_tube='imgs', heatmap='heatmap_imgs')
    pack = fused.test_dataloader.dataset.pipeline[-1]
    assert tuple(pack.collect_keys) == ('imgs', 'heatmap_imgs')


@pytest.mark.parametrize('ds', DATASETS)
def test_fusion_streams_are_the_stream_configs_runs(ds):
    """Each stream checkpoint lives in the work dir of the stream config of the same data."""
    expected = dict(rgb_handarm=video_cfg('handarm', ds), rgb_tube=video_cfg('tube', ds),
                    heatmap=heatmap_cfg(ds))
    for mode in ('late', 'learned'):
        cfg = _load(fusion_cfg(mode, ds))
        for name, stream in cfg.model.streams.items():
            assert stream.checkpoint == f'work_dirs/{expected[name].stem}/best_*.pth', name
            stream_cfg = _load(expected[name])
            assert stream_cfg.test_dataloader.dataset.ann_file == \
                cfg.test_dataloader.dataset.ann_file


def test_learned_fusion_changes_the_head_and_adds_training_only():
    late = _load(fusion_cfg('late', 'wlasl2000'))
    learned = _load(fusion_cfg('learned', 'wlasl2000'))
    assert late.model.fusion_head.type == 'LateFusionHead' and 'train_dataloader' not in late
    assert learned.model.fusion_head == dict(type='LearnedFusionHead', feat_norm=True,
                                             dropout_ratio=0.5, average_clips='prob')
    strip = lambda m: {k: v for k, v in m.items() if k != 'fusion_head'}  # noqa: E731
    assert strip(late.model) == strip(learned.model)
    for key in ('val_dataloader', 'test_dataloader', 'val_evaluator', 'test_evaluator'):
        assert late[key] == learned[key], key
    assert learned.train_dataloader.dataset.data_prefix == late.val_dataloader.dataset.data_prefix


def _without_data(cfg: Config, *model_keys) -> dict:
    d = copy.deepcopy(cfg.to_dict())
    for key in ('filename', 'data_prefix', 'num_classes', 'pretrained'):
        d.pop(key, None)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        if loader in d:
            d[loader]['dataset'].pop('ann_file')
            d[loader]['dataset'].pop('data_prefix')
    model = d['model']
    for path in model_keys:
        *parents, leaf = path.split('.')
        node = model
        for p in parents:
            node = node[p]
        node.pop(leaf)
    return d


@pytest.mark.parametrize('ds', ['slovo', 'nmfs-csl'])
def test_dataset_swaps_change_only_data_classes_and_checkpoints(ds):
    base, swap = _load(heatmap_cfg('wlasl2000')), _load(heatmap_cfg(ds))
    assert swap.model.cls_head.num_classes == NUM_CLASSES[ds]
    assert _without_data(base, 'cls_head.num_classes') == _without_data(
        swap, 'cls_head.num_classes')
    for kind in ('handarm', 'tube'):
        base, swap = _load(video_cfg(kind, 'wlasl2000')), _load(video_cfg(kind, ds))
        assert swap.model.cls_head.num_classes == NUM_CLASSES[ds]
        assert {a.num_classes for a in swap.model.data_preprocessor.blending.augments} == {
            NUM_CLASSES[ds]}
        keys = ('cls_head.num_classes', 'data_preprocessor.blending')
        assert _without_data(base, *keys) == _without_data(swap, *keys)
    for mode in ('late', 'learned'):
        base, swap = _load(fusion_cfg(mode, 'wlasl2000')), _load(fusion_cfg(mode, ds))
        assert _without_data(base, 'streams') == _without_data(swap, 'streams')
        assert swap.test_dataloader.dataset.ann_file.endswith('_test.json')
        assert swap.val_dataloader.dataset.ann_file == swap.test_dataloader.dataset.ann_file


def test_tube_stream_differs_from_the_hand_arm_stream_in_its_encoder_only():
    hand, tube = _load(VIDEO_HANDARM), _load(video_cfg('tube', 'wlasl2000'))
    assert 'signmae-tube_' in tube.model.backbone.init_cfg.checkpoint
    assert 'signmae-handarm_' in hand.model.backbone.init_cfg.checkpoint
    keys = ('backbone.init_cfg', )
    assert _without_data(hand, *keys) == _without_data(tube, *keys)


def test_full_size_heatmap_stream_builds():
    init_default_scope('mmaction')
    model = MODELS.build(_load(heatmap_cfg('wlasl2000')).model)
    assert type(model).__name__ == 'Recognizer3D'
    assert model.cls_head.num_classes == 2000
