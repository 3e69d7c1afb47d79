"""Acceptance: on generated sign videos, on the CPU, as a user runs it, `mim train mmaction`
trains the heatmap stream and a video stream (tiny sizes via --cfg-options), the late-fusion
config's `mim test` loads the three stream checkpoints and reports per-instance and per-class
accuracy, and the learned-fusion config trains its head on the frozen streams."""
import json
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path
from typing import List

import pytest
import torch

import signmae_mm  # noqa: F401  (loads checkpoints with weights_only=True)
from signmae_mm.demo import write_demo_dataset

REPO = Path(__file__).resolve().parents[2]
HEATMAP = REPO / 'configs' / 'heatmap' / 'heatmap-c3d_nla63-112px_16x4x1_wlasl2000.py'
VIDEO = REPO / 'configs' / 'fusion' / 'streams' / \
    'vit-base-p16_signmae-tube-pre_16x4x1_wlasl2000.py'
LATE = REPO / 'configs' / 'fusion' / \
    'late-fusion_vit-b-handarm-tube_heatmap-c3d_16x4x1_wlasl2000.py'
LEARNED = LATE.parent / LATE.name.replace('late-fusion', 'learned-fusion')


def _start(*args: str, cwd: Path) -> subprocess.Popen:
    """Start ``mim ARGS`` as a user runs it (the plugin from the installed package)."""
    mim = shutil.which('mim', path=str(Path(sys.executable).parent)) or shutil.which('mim')
    if mim is None:
        pytest.fail('`mim` (openmim) is not installed beside this Python')
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    return subprocess.Popen([mim, *args], cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def _finish(proc: subprocess.Popen) -> str:
    log, _ = proc.communicate(timeout=600)
    assert proc.returncode == 0, log[-6000:]
    return log


def _side_by_side(*procs: subprocess.Popen) -> List[str]:
    """Wait for mim runs started together; stop the others if one fails."""
    try:
        return [_finish(proc) for proc in procs]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def _data(demo, splits=('train', 'val', 'test'), sign_ann=True) -> List[str]:
    out = []
    for split in splits:
        loader = f'{split}_dataloader'
        out += [f'{loader}.dataset.ann_file={demo.ann_files[split]}',
                f'{loader}.dataset.data_prefix.video={demo.video_prefix}',
                f'{loader}.num_workers=0', f'{loader}.persistent_workers=False']
        if sign_ann:
            out.append(f'{loader}.dataset.data_prefix.sign_ann={demo.sign_ann_prefix}')
        if split != 'test':
            out.append(f'{loader}.batch_size=2')
    return out


def _frames(split: str, index: int) -> List[str]:
    """8-frame clips (interval 2) of the 16-frame demo videos."""
    p = f'{split}_dataloader.dataset.pipeline.{index}'
    return [f'{p}.clip_len=8', f'{p}.frame_interval=2']


def _fusion_pipeline(split: str, index_of_resize: int) -> List[str]:
    p = f'{split}_dataloader.dataset.pipeline'
    i = index_of_resize
    return _frames(split, 1) + [f'{p}.{i}.scale=(-1,32)', f'{p}.{i + 1}.crop_size=32',
                                f'{p}.{i + 2}.sigma=1.0']


SHORT = ['train_cfg.max_epochs=1', 'train_cfg.val_interval=1', 'auto_scale_lr.enable=False',
         'default_hooks.logger.interval=1']


@pytest.fixture(scope='module')
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp('fusion_run')
    demo = write_demo_dataset(str(root / 'data'), num_classes=2, videos_per_class=4,
                              num_frames=16, size=112, seed=1)
    # heatmap stream: 32-pixel crops, 16x16 heatmaps (sigma 1), a 4-channel-wide HeatmapC3D
    tr, va = 'train_dataloader.dataset.pipeline', 'val_dataloader.dataset.pipeline'
    heat_opts = _data(demo, ('train', 'val')) + _frames('train', 1) + _frames('val', 1) + [
        f'{tr}.5.scale=(-1,40)', f'{tr}.7.scale=(32,32)', f'{tr}.9.sigma=1.0',
        f'{va}.5.scale=(-1,32)', f'{va}.6.crop_size=32', f'{va}.7.sigma=1.0',
        'model.backbone.base_channels=4', 'model.backbone.stage_blocks=(1,1,1)',
        'model.backbone.conv1_stride_s=1', 'model.cls_head.in_channels=64',
        'model.cls_head.num_classes=2', 'param_scheduler.0.T_max=1'] + SHORT
    heat = _start('train', 'mmaction', str(HEATMAP), '--work-dir', str(root / 'heatmap'),
                  '--cfg-options', *heat_opts, cwd=root)
    # video stream: a ViT of 2 blocks, 64 wide, on 32-pixel crops
    video_opts = _data(demo, ('train', 'val'), sign_ann=False) + _frames('train', 1) + \
        _frames('val', 1) + [
            f'{tr}.3.scale=(-1,40)', f'{tr}.5.scale=(32,32)', f'{va}.3.scale=(-1,32)',
            f'{va}.4.crop_size=32', 'model.backbone.img_size=32', 'model.backbone.patch_size=8',
            'model.backbone.num_frames=8', 'model.backbone.embed_dims=64',
            'model.backbone.depth=2', 'model.backbone.num_heads=4', 'model.backbone.init_cfg=None',
            'model.cls_head.in_channels=64', 'model.cls_head.num_classes=2',
            'model.data_preprocessor.blending=None', 'optim_wrapper.paramwise_cfg.num_layers=2',
            'param_scheduler.0.end=1', 'param_scheduler.1.begin=1', 'param_scheduler.1.end=2',
            'param_scheduler.1.T_max=1'] + SHORT
    video = _start('train', 'mmaction', str(VIDEO), '--work-dir', str(root / 'video'),
                   '--cfg-options', *video_opts, cwd=root)
    _side_by_side(heat, video)

    # both fusions over the three stream checkpoints (the video run serves both video streams)
    streams = [
        f'model.streams.rgb_handarm.checkpoint={root}/video/epoch_1.pth',
        f'model.streams.rgb_tube.checkpoint={root}/video/best_*.pth',  # by glob
        f'model.streams.heatmap.checkpoint={root}/heatmap/epoch_1.pth']
    sys.path.insert(0, str(REPO / 'tools'))
    try:
        from fuse_scores import save_fusion_checkpoint
    finally:
        sys.path.remove(str(REPO / 'tools'))
    weights = save_fusion_checkpoint(str(root / 'late_fusion.pth'),
                                     ['rgb_handarm', 'rgb_tube', 'heatmap'], [0.25, 0.25, 0.5])
    late_options = [*streams, *_data(demo, ('test', )), *_fusion_pipeline('test', 5)]
    late = _start('test', 'mmaction', str(LATE), '--checkpoint', weights, '--work-dir',
                  str(root / 'late'), '--dump', str(root / 'late.pkl'), '--cfg-options',
                  *late_options, cwd=root)
    learned_opts = streams + _data(demo, ('train', 'val')) + _frames('train', 1) + [
        f'{tr}.5.scale=(-1,40)', f'{tr}.7.scale=(32,32)', f'{tr}.8.sigma=1.0'] + \
        _fusion_pipeline('val', 5) + [
            'train_cfg.max_epochs=1', 'auto_scale_lr.enable=False',
            'default_hooks.logger.interval=1']
    learned = _start('train', 'mmaction', str(LEARNED), '--work-dir', str(root / 'learned'),
                     '--cfg-options', *learned_opts, cwd=root)
    late_log, learned_log = _side_by_side(late, learned)
    return dict(root=root, demo=demo, late_log=late_log, learned_log=learned_log,
                late_weights=weights, late_options=late_options)


def test_stream_runs_saved_their_checkpoints(runs):
    for run in ('heatmap', 'video'):
        ckpt = torch.load(runs['root'] / run / 'epoch_1.pth', weights_only=True)
        assert ckpt['meta']['epoch'] == 1 and 'cfg' in ckpt['meta']
    assert list((runs['root'] / 'heatmap').glob('best_acc_per_instance_top1_epoch_1.pth'))


def test_late_fusion_mim_test_reports_per_instance_and_per_class_accuracy(runs):
    log = runs['late_log']
    for name in ('rgb_handarm', 'rgb_tube', 'heatmap'):
        assert f"stream '{name}' (Recognizer3D) loaded from" in log
    for metric in ('acc/per_instance_top1', 'acc/per_instance_top5', 'acc/per_class_top1'):
        assert metric in log, log[-3000:]
    assert 'missing keys' not in log  # the streams keep their own checkpoints' weights
    with open(runs['root'] / 'late.pkl', 'rb') as f:
        dumped = pickle.load(f)
    assert len(dumped) == runs['demo'].counts['test']
    for sample in dumped:
        assert sample['pred_score'].shape == (2, )
        assert float(sample['pred_score'].sum()) == pytest.approx(1, abs=1e-5)


def test_learned_fusion_trains_its_head_on_the_frozen_streams(runs):
    log = runs['learned_log']
    assert 'loss_cls' in log and 'acc/per_class_top1' in log
    state = torch.load(runs['root'] / 'learned' / 'epoch_1.pth', weights_only=True)['state_dict']
    assert state and all(k.startswith('fusion_head.') for k in state)
    assert 'fusion_head.fc_cls.weight' in state


def _recognize(argv: List[str]) -> int:
    import importlib.util
    spec = importlib.util.spec_from_file_location('recognize', REPO / 'tools' / 'recognize.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main(argv)


@pytest.mark.requires('mediapipe')
def test_recognize_tool_gives_each_stream_and_the_fused_scores_of_mim_test(runs, tmp_path):
    """tools/recognize.py on the late-fusion model: the streams' and the fused top-5 of a test
    video, the fused scores those mim test dumped for it; then a real clip with no annotation,
    which MediaPipe annotates on the fly."""
    demo = runs['demo']
    with open(demo.ann_files['test']) as f:
        entry = json.load(f)['data_list'][0]
    video = os.path.join(demo.video_prefix, entry['filename'])
    npz = os.path.join(demo.sign_ann_prefix, entry['sign_ann'])
    out = tmp_path / 'recognized.json'
    options = ['--cfg-options', *runs['late_options']]
    assert _recognize([str(LATE), runs['late_weights'], video, '--sign-ann', npz, '--out',
                       str(out), *options]) == 0
    result = json.loads(out.read_text())[0]['top_k']
    assert list(result) == ['rgb_handarm', 'rgb_tube', 'heatmap', 'fused']
    assert all(len(top) == 2 for top in result.values())  # 2 classes: the top-5 is both
    with open(runs['root'] / 'late.pkl', 'rb') as f:
        dumped = pickle.load(f)[0]['pred_score']
    fused = sorted(result['fused'], key=lambda r: r['label'])
    assert [r['score'] for r in fused] == pytest.approx(dumped.tolist(), abs=1e-5)
    assert {r['name'] for r in fused} == set(demo.classes)

    real = REPO / 'tests' / 'data' / 'ntu_drink_s001c001p001r001a001.mp4'
    keep = tmp_path / 'annotations'
    assert _recognize([str(LATE), runs['late_weights'], str(real), '--keep-annotations',
                       str(keep), '--out', str(out), *options]) == 0
    assert set(json.loads(out.read_text())[0]['top_k']) == set(result)
    assert (keep / (real.stem + '.npz')).is_file()
