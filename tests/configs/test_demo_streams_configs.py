"""The demo's (and the folder path's) tube, heatmap and fusion configs: each inherits the real
one and changes only what it states, shares the video streams' frames and crop, and builds
through the registries on a generated demo set."""
import functools
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

import signmae_mm  # noqa: F401
from mmaction.registry import DATASETS, METRICS, MODELS
from signmae_mm.demo import write_demo_dataset, write_noisy_annotations
from signmae_mm.evaluation import SignAccMetric

CONFIGS = Path(__file__).resolve().parents[2] / 'configs'
DEMO, FOLDER = CONFIGS / 'demo', CONFIGS / 'folder'
HANDARM = DEMO / 'vit-tiny-p8_signmae-handarm-pre_8x2x1_signdemo.py'
TUBE = DEMO / 'vit-tiny-p8_signmae-tube-pre_8x2x1_signdemo.py'
HEATMAP = DEMO / 'heatmap-c3d_nla63-32px_8x2x1_signdemo.py'
LATE = DEMO / 'late-fusion_vit-tiny-handarm-tube_heatmap-c3d_8x2x1_signdemo.py'
LEARNED = DEMO / 'learned-fusion_vit-tiny-handarm-tube_heatmap-c3d_8x2x1_signdemo.py'
REAL_HEATMAP = CONFIGS / 'heatmap' / 'heatmap-c3d_nla63-112px_16x4x1_wlasl2000.py'
REAL_LATE = CONFIGS / 'fusion' / 'late-fusion_vit-b-handarm-tube_heatmap-c3d_16x4x1_wlasl2000.py'
REAL_LEARNED = REAL_LATE.parent / REAL_LATE.name.replace('late-', 'learned-')
BASES = {
    TUBE: './vit-tiny-p8_signmae-handarm-pre_8x2x1_signdemo.py',
    HEATMAP: '../heatmap/heatmap-c3d_nla63-112px_16x4x1_wlasl2000.py',
    LATE: '../fusion/late-fusion_vit-b-handarm-tube_heatmap-c3d_16x4x1_wlasl2000.py',
    LEARNED: './late-fusion_vit-tiny-handarm-tube_heatmap-c3d_8x2x1_signdemo.py',
    FOLDER / 'signmae-tube_vit-tiny-p8_8x2x1_folder.py':
    '../demo/signmae-tube_vit-tiny-p8_8x2x1_signdemo.py',
    FOLDER / 'vit-tiny-p8_signmae-tube-pre_8x2x1_folder.py':
    './vit-tiny-p8_signmae-handarm-pre_8x2x1_folder.py',
    FOLDER / 'heatmap-c3d_nla63-32px_8x2x1_folder.py':
    '../demo/heatmap-c3d_nla63-32px_8x2x1_signdemo.py',
    FOLDER / 'late-fusion_vit-tiny-handarm-tube_heatmap-c3d_8x2x1_folder.py':
    '../demo/late-fusion_vit-tiny-handarm-tube_heatmap-c3d_8x2x1_signdemo.py',
    FOLDER / 'learned-fusion_vit-tiny-handarm-tube_heatmap-c3d_8x2x1_folder.py':
    '../demo/learned-fusion_vit-tiny-handarm-tube_heatmap-c3d_8x2x1_signdemo.py',
}
SPATIAL = ('Resize', 'RandomResizedCrop', 'CenterCrop')


@functools.lru_cache(maxsize=None)
def _cfg(path: Path) -> Config:
    return Config.fromfile(str(path))


def _without(d: dict, keys) -> dict:
    return {k: v for k, v in d.items() if k not in keys}


def _pipeline(cfg: Config, split: str) -> list:
    return [dict(t) for t in cfg[f'{split}_dataloader'].dataset.pipeline]


def _step(pipeline, kind) -> dict:
    found = [t for t in pipeline if t['type'] == kind]
    assert len(found) == 1, (kind, [t['type'] for t in pipeline])
    return found[0]


@pytest.fixture(scope='module')
def demo_set(tmp_path_factory):
    root = tmp_path_factory.mktemp('demo_streams')
    demo = write_demo_dataset(str(root), num_classes=2, videos_per_class=3, num_frames=16,
                              size=64, seed=2)
    return demo, write_noisy_annotations(demo.root)


@pytest.mark.parametrize('path', list(BASES), ids=lambda p: f'{p.parent.name}/{p.name}')
def test_inherits_and_imports_the_plugin(path):
    assert f"_base_ = ['{BASES[path]}']" in path.read_text()
    cfg = _cfg(path)
    assert cfg.custom_imports == dict(imports=['signmae_mm'], allow_failed_imports=False)
    assert cfg.default_scope == 'mmaction'


def test_tube_stream_differs_from_the_handarm_stream_only_in_its_encoder():
    hand, tube = _cfg(HANDARM).to_dict(), _cfg(TUBE).to_dict()
    init = tube['model']['backbone'].pop('init_cfg')
    assert init['checkpoint'] == \
        'work_dirs/signmae-tube_vit-tiny-p8_8x2x1_signdemo/epoch_20.pth'
    hand['model']['backbone'].pop('init_cfg')
    skip = {'filename', 'pretrained'}
    assert _without(hand, skip) == _without(tube, skip)


def test_heatmap_stream_shrinks_the_real_one_to_the_demo_clips():
    demo, real, video = _cfg(HEATMAP), _cfg(REAL_HEATMAP), _cfg(HANDARM)
    # the model: only the stated sizes and the classes
    size_keys = {'base_channels', 'conv1_stride_s'}
    assert _without(demo.model.backbone, size_keys) == _without(real.model.backbone, size_keys)
    assert (demo.model.backbone.base_channels, demo.model.backbone.conv1_stride_s) == (16, 1)
    assert _without(demo.model.cls_head, {'num_classes', 'in_channels'}) == _without(
        real.model.cls_head, {'num_classes', 'in_channels'})
    assert demo.model.cls_head.num_classes == 10
    # the pipeline: the real one at the video demo's frames and crops, heatmaps at 32x32
    for split in ('train', 'val'):
        ours, theirs = _pipeline(demo, split), _pipeline(real, split)
        assert [t['type'] for t in ours] == [t['type'] for t in theirs]
        for a, b in zip(ours, theirs):
            keys = {'clip_len', 'frame_interval', 'scale', 'crop_size', 'area_range',
                    'aspect_ratio_range', 'sigma'}
            assert _without(a, keys) == _without(b, keys)
        assert [t for t in ours if t['type'] in SPATIAL] == [
            t for t in _pipeline(video, split) if t['type'] in SPATIAL]
        assert _step(ours, 'SampleSignFrames') == _step(_pipeline(video, split),
                                                        'SampleSignFrames')
        assert _step(ours, 'GeneratePoseTarget')['sigma'] == pytest.approx(3.5 * 32 / 112)
    assert _pipeline(demo, 'test') == _pipeline(demo, 'val')
    # the demo's noisy keypoints, its lists, SignAccMetric
    for split in ('train', 'val', 'test'):
        dataset = demo[f'{split}_dataloader'].dataset
        assert dataset.data_prefix == dict(video='data/demo/videos',
                                           sign_ann='data/demo/sign_ann_noisy')
        assert dataset.ann_file == f'data/demo/{split}.json'
    assert demo.test_evaluator.type == 'SignAccMetric'
    assert demo.optim_wrapper.optimizer.type == real.optim_wrapper.optimizer.type == 'SGD'
    assert demo.optim_wrapper.optimizer.lr == pytest.approx(
        real.optim_wrapper.optimizer.lr * 32 / real.auto_scale_lr.base_batch_size)
    assert demo.param_scheduler[0]['T_max'] == demo.train_cfg.max_epochs


def test_fusions_share_the_streams_frames_and_crops():
    late, learned, video, heat = (_cfg(p) for p in (LATE, LEARNED, HANDARM, HEATMAP))
    real = _cfg(REAL_LATE)
    for cfg, splits in ((late, ('val', 'test')), (learned, ('train', 'val', 'test'))):
        for split in splits:
            ours = _pipeline(cfg, split)
            ref = split if split != 'test' else 'val'
            for stream in (video, heat):
                assert [t for t in ours if t['type'] in SPATIAL] == [
                    t for t in _pipeline(stream, ref) if t['type'] in SPATIAL]
                assert _step(ours, 'SampleSignFrames') == _step(_pipeline(stream, split),
                                                                'SampleSignFrames')
            assert _step(ours, 'GeneratePoseTarget') == _step(_pipeline(heat, split),
                                                              'GeneratePoseTarget')
            assert cfg[f'{split}_dataloader'].dataset.data_prefix.sign_ann == \
                'data/demo/sign_ann_noisy'
    # the model is the real one with the demo streams' checkpoints
    assert _without(late.model, {'streams'}) == _without(real.model, {'streams'})
    for name, stream in late.model.streams.items():
        assert stream.input_key == real.model.streams[name].input_key
        assert stream.checkpoint.startswith('work_dirs/') and stream.checkpoint.endswith(
            'epoch_*.pth')
    assert learned.model.fusion_head == _cfg(REAL_LEARNED).model.fusion_head
    assert learned.model_wrapper_cfg is None
    assert learned.optim_wrapper.optimizer == _cfg(REAL_LEARNED).optim_wrapper.optimizer
    assert learned.train_dataloader.sampler.shuffle is True


def test_folder_streams_read_the_folder_and_its_mediapipe_annotations():
    for path in BASES:
        if path.parent != FOLDER:
            continue
        cfg = _cfg(path)
        for split in ('train', 'val', 'test'):
            loader = cfg.get(f'{split}_dataloader')
            if not loader:
                continue
            assert loader.dataset.ann_file == f'data/my_signs/annotations/folder_{split}.json'
            assert loader.dataset.data_prefix.video == 'data/my_signs/videos'
            if path.name.startswith(('heatmap', 'late', 'learned', 'signmae-tube')):
                assert loader.dataset.data_prefix.sign_ann == 'data/my_signs/sign_ann'
        if 'fusion' in path.name:
            assert all('_folder/' in s.checkpoint for s in cfg.model.streams.values())


def test_heatmap_stream_builds_and_trains_a_step_on_the_demo_set(demo_set):
    demo, noisy = demo_set
    cfg = _cfg(HEATMAP)
    init_default_scope('mmaction')
    model = MODELS.build(cfg.model.to_dict())
    loader = cfg.train_dataloader.dataset.to_dict()
    loader.update(ann_file=demo.ann_files['train'],
                  data_prefix=dict(video=demo.video_prefix, sign_ann=noisy))
    dataset = DATASETS.build(loader)
    batch = [dataset[i] for i in range(2)]
    assert tuple(batch[0]['inputs'].shape) == (1, 63, 8, 32, 32)
    data = model.data_preprocessor(dict(inputs=[b['inputs'] for b in batch],
                                        data_samples=[b['data_samples'] for b in batch]), True)
    losses = model(**data, mode='loss')
    assert torch.isfinite(losses['loss_cls'])
    assert isinstance(METRICS.build(cfg.test_evaluator), SignAccMetric)


def test_fusion_sample_holds_both_inputs_of_one_crop(demo_set):
    demo, noisy = demo_set
    cfg = _cfg(LEARNED)
    init_default_scope('mmaction')
    loader = cfg.train_dataloader.dataset.to_dict()
    loader.update(ann_file=demo.ann_files['train'],
                  data_prefix=dict(video=demo.video_prefix, sign_ann=noisy))
    sample = DATASETS.build(loader)[0]
    assert tuple(sample['inputs']['imgs'].shape) == (1, 3, 8, 64, 64)
    assert tuple(sample['inputs']['heatmap_imgs'].shape) == (1, 63, 8, 32, 32)


@pytest.mark.parametrize('path', [TUBE, FOLDER / 'vit-tiny-p8_signmae-tube-pre_8x2x1_folder.py',
                                  FOLDER / 'heatmap-c3d_nla63-32px_8x2x1_folder.py'],
                         ids=lambda p: f'{p.parent.name}/{p.name}')
def test_stream_models_build(path):
    cfg = _cfg(path)
    init_default_scope('mmaction')
    model_cfg = cfg.model.to_dict()
    model_cfg['backbone'].pop('init_cfg', None)  # the pretraining checkpoint is not there
    model = MODELS.build(model_cfg)
    assert model.cls_head.num_classes == 10
