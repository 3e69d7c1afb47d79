"""Drawing a token mask over a clip, and tools/visualize_masks.py, which shows a config's own
train pipeline (sampling, crop, flip, mask) on a dataset sample or on any video."""
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
from mmengine.config import Config
from mmengine.registry import init_default_scope

import signmae_mm  # noqa: F401  (registers our transforms)
from signmae_mm.visualization import (draw_masks, override_pipeline, run_transforms,
                                      sample_transforms)
from signmae_mm.visualization.masks import BANNER_HEIGHT

REPO = Path(__file__).resolve().parents[2]
TOOL = REPO / 'tools' / 'visualize_masks.py'
PRETRAIN = REPO / 'configs' / 'signmae_pretrain.py'


def _run_tool(*args):
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=os.pathsep.join(
        [str(REPO)] + [p for p in os.environ.get('PYTHONPATH', '').split(os.pathsep) if p]))
    return subprocess.run([sys.executable, str(TOOL), *map(str, args)], capture_output=True,
                          text=True, timeout=300, env=env, cwd=str(REPO))


def _rgb(path):
    return cv2.imread(str(path))[..., ::-1]


def test_png_and_mp4_of_a_video_through_the_default_config(demo, tmp_path):
    video = sorted(Path(demo.video_prefix).rglob('*.mp4'))[0]
    sign_ann = Path(demo.sign_ann_prefix) / video.relative_to(demo.video_prefix).with_suffix(
        '.npz')
    # the tool's options on the default config == the package on that config's pipeline
    cfg = Config.fromfile(str(PRETRAIN))
    pipeline = override_pipeline(cfg.train_dataloader.dataset.pipeline, input_size=64,
                                 patch_size=8, frame_interval=1, ratio=0.5)
    cfg.train_dataloader.dataset.pipeline = pipeline
    init_default_scope('mmaction')
    info, transforms = sample_transforms(cfg, video=str(video), sign_ann=str(sign_ann))
    results, _, masker = run_transforms(transforms, info, 0, ('FormatShape', 'Pack'))
    assert [type(t).__name__ for t in transforms][:2] == ['DecordInit', 'SampleSignFrames']
    assert results['mask'].sum() == 256 and results['mask_type'] == 'hand_arm'
    grid, frames = draw_masks(results, masker)
    assert grid.shape == (BANNER_HEIGHT + 2 * 64, 8 * 64, 3)  # banner, overlay, mask; 8 slots
    assert len(frames) == 16 and frames[0].shape == (64, 128, 3)
    # second row, first column (time slot 0): masked tokens shaded, the others untouched
    mask = np.repeat(np.repeat(results['mask'].reshape(8, 8, 8)[0], 8, 0), 8, 1)
    shown = grid[BANNER_HEIGHT + 64:, :64].astype(float)
    frame0 = np.asarray(results['imgs'][0], dtype=float)
    expected = np.where(mask[..., None], frame0 * 0.25 + 40, frame0)
    off_grid = np.ones((64, 64), bool)
    off_grid[::8, :] = off_grid[:, ::8] = False  # grid lines drawn there
    assert np.abs(shown - expected)[off_grid].max() <= 1
    assert 0 < mask.mean() < 1
    # the overlay row shows the part maps: it differs from the frame where the signer is
    assert np.abs(grid[BANNER_HEIGHT:BANNER_HEIGHT + 64, :64] - frame0).max() > 20

    out, mp4 = tmp_path / 'm.png', tmp_path / 'm.mp4'
    proc = _run_tool('--video', video, '--sign-ann', sign_ann, '--input-size', 64,
                     '--patch-size', 8, '--frame-interval', 1, '--ratio', 0.5, '--out', out,
                     '--mp4', mp4)
    assert proc.returncode == 0, proc.stderr[-4000:]
    np.testing.assert_array_equal(_rgb(out), grid)  # seed 0: the very same clip and mask
    assert cv2.VideoCapture(str(mp4)).get(cv2.CAP_PROP_FRAME_COUNT) == 16
    assert sorted(p.name for p in tmp_path.iterdir()) == ['m.mp4', 'm.png']


def test_config_mode_shows_the_datasets_own_pipeline(demo, tmp_path):
    config = tmp_path / 'cfg.py'
    config.write_text(f'''
default_scope = 'mmaction'
train_pipeline = [
    dict(type='DecordInit'),
    dict(type='SampleSignFrames', clip_len=16, frame_interval=1, num_clips=1),
    dict(type='LoadSignAnnotation'),
    dict(type='DecordDecode'),
    dict(type='RandomResizedCrop', area_range=(0.5, 1.0), lazy=True),
    dict(type='Resize', scale=(64, 64), keep_ratio=False, lazy=True),
    dict(type='Flip', flip_ratio=0.5, lazy=True),
    dict(type='TubeMask', ratio=0.75, tubelet_size=2, patch_size=16, input_size=(16, 64, 64)),
    dict(type='Fuse'),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs', algorithm_keys=('mask', )),
]
train_dataloader = dict(dataset=dict(
    type='SignVideoDataset', ann_file={demo.ann_files['train']!r}, pipeline=train_pipeline,
    data_prefix=dict(video={demo.video_prefix!r}, sign_ann={demo.sign_ann_prefix!r})))
''')
    cfg = Config.fromfile(str(config))
    init_default_scope('mmaction')
    info, transforms = sample_transforms(cfg, index=1)
    results, _, masker = run_transforms(transforms, info, 7, ('FormatShape', 'Pack'))
    assert results['mask_type'] == 'tube'
    assert results['mask'].sum() == 8 * 12  # 8 time slots x int(0.75 * 16)
    assert 'lazy' not in results and len(results['imgs']) == 16  # the lazy crop was applied
    out = tmp_path / 'c.png'
    proc = _run_tool('--config', config, '--index', 1, '--seed', 7, '--out', out)
    assert proc.returncode == 0, proc.stderr[-4000:]
    np.testing.assert_array_equal(_rgb(out), draw_masks(results, masker)[0])
    # an option the pipeline cannot take is refused
    proc = _run_tool('--config', config, '--video', 'v.mp4', '--out', out)
    assert proc.returncode == 2 and '--video and --sign-ann go together' in proc.stderr
