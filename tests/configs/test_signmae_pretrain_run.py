"""Acceptance: configs/signmae_pretrain.py trains a tiny model on generated sign clips on the CPU,
the loss falls over a few dozen iterations, checkpoints save and the run resumes."""
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

import numpy as np
import pytest
import torch

import signmae_mm  # noqa: F401
from signmae_mm.structures import (HAND_KEYPOINTS, LEFT_SHOULDER, PART_GROUPS, RIGHT_SHOULDER,
                                   dump_annotation_list, save_sign_annotation)
from signmae_mm.testing import write_video

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / 'configs' / 'signmae_pretrain.py'
SIZE, FRAMES, CELL = 64, 16, 4


def make_sign_clips(root: Path, num_videos: int = 8) -> Dict[str, Path]:
    """Clips of a bright 'hand' square moving over a smooth background, with matching
    annotations: hand keypoints on the square, shoulders fixed, a left-hand part map of the
    square. Smooth, so that the normalised-pixel target is learnable in a few dozen steps."""
    grid = SIZE // CELL
    yy, xx = np.mgrid[0:SIZE, 0:SIZE]
    background = np.stack([xx * 3, yy * 3, (xx + yy) * 2], axis=-1).clip(0, 255).astype(np.uint8)
    entries = []
    for i in range(num_videos):
        frames = np.repeat(background[None], FRAMES, axis=0)
        keypoints = np.zeros((FRAMES, 133, 2), np.float32)
        scores = np.zeros((FRAMES, 133), np.float32)
        part_maps = np.zeros((FRAMES, len(PART_GROUPS), grid, grid), np.float32)
        keypoints[:, LEFT_SHOULDER] = (20, 24)
        keypoints[:, RIGHT_SHOULDER] = (44, 24)
        scores[:, [LEFT_SHOULDER, RIGHT_SHOULDER]] = 1.
        for t in range(FRAMES):
            x = 4 + (t * 3 + i * 5) % 40
            y = 8 + (t * (i % 3 + 1) * 2) % 36
            frames[t, y:y + 16, x:x + 16] = (40 + 25 * i, 200, 255 - 20 * i)
            keypoints[t, list(HAND_KEYPOINTS)] = (x + 8, y + 8)
            scores[t, list(HAND_KEYPOINTS)] = 1.
            hand = np.zeros((SIZE, SIZE), np.float32)
            hand[y:y + 16, x:x + 16] = 1.
            part_maps[t, 0] = hand.reshape(grid, CELL, grid, CELL).mean(axis=(1, 3))
        name = f'sign{i:02d}'
        write_video(root / 'videos' / f'{name}.mp4', frames)
        save_sign_annotation(
            str(root / 'sign_ann' / f'{name}.npz'), keypoints, scores,
            np.tile(np.array([[0, 0, SIZE, SIZE]], np.float32), (FRAMES, 1)), part_maps,
            (SIZE, SIZE), part_map_source='synthetic')
        entries.append(dict(filename=f'{name}.mp4', label=0, sign_ann=f'{name}.npz',
                            total_frames=FRAMES, img_shape=[SIZE, SIZE]))
    dump_annotation_list(str(root / 'train.json'), entries)
    return dict(ann_file=root / 'train.json', video=root / 'videos', sign_ann=root / 'sign_ann')


def tiny_options(data: Dict[str, Path], max_epochs: int) -> List[str]:
    """--cfg-options for a tiny model, 8-frame 32x32 clips and a short schedule."""
    pipe = 'train_dataloader.dataset.pipeline'
    return [
        f'train_dataloader.dataset.ann_file={data["ann_file"]}',
        f'train_dataloader.dataset.data_prefix.video={data["video"]}',
        f'train_dataloader.dataset.data_prefix.sign_ann={data["sign_ann"]}',
        'train_dataloader.batch_size=2', 'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False',
        'model.backbone.img_size=32', 'model.backbone.patch_size=8',
        'model.backbone.num_frames=8', 'model.backbone.embed_dims=64', 'model.backbone.depth=2',
        'model.backbone.num_heads=4', 'model.neck.embed_dims=32', 'model.neck.depth=1',
        'model.neck.num_heads=4',
        f'{pipe}.1.clip_len=8', f'{pipe}.1.frame_interval=2', f'{pipe}.5.input_size=32',
        f'{pipe}.6.scale=(32,32)', f'{pipe}.7.patch_size=8', f'{pipe}.7.input_size=(8,32,32)',
        'optim_wrapper.optimizer.lr=2e-3', 'auto_scale_lr.enable=False',
        f'train_cfg.max_epochs={max_epochs}', 'param_scheduler.0.end=1',
        'param_scheduler.1.begin=1', 'param_scheduler.1.T_max=20', 'param_scheduler.1.end=20',
        'default_hooks.logger.interval=1', 'default_hooks.checkpoint.interval=4',
        'randomness.seed=0'
    ]


def _mim() -> str:
    mim = shutil.which('mim', path=str(Path(sys.executable).parent)) or shutil.which('mim')
    if mim is None:
        pytest.fail('`mim` (openmim) is not installed beside this Python')
    return mim


def _mim_train(work_dir: Path, options: List[str], *extra: str) -> subprocess.CompletedProcess:
    cmd = [_mim(), 'train', 'mmaction', str(CONFIG), '--work-dir', str(work_dir),
           *extra, '--cfg-options', *options]
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    return subprocess.run(cmd, cwd=work_dir.parent, env=env, capture_output=True, text=True,
                          timeout=600)


def _losses(checkpoint: Path) -> List[float]:
    hub = torch.load(checkpoint, weights_only=True)['message_hub']['log_scalars']
    return [float(v) for v in hub['train/loss']._log_history]


def test_pretrain_config_trains_saves_and_resumes(tmp_path):
    data = make_sign_clips(tmp_path / 'data')
    work_dir = tmp_path / 'work'
    proc = _mim_train(work_dir, tiny_options(data, max_epochs=8))
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-6000:]
    assert (work_dir / 'epoch_4.pth').is_file() and (work_dir / 'epoch_8.pth').is_file()
    losses = _losses(work_dir / 'epoch_8.pth')
    assert len(losses) == 32  # 8 epochs x 4 iterations
    assert np.mean(losses[-6:]) < 0.8 * np.mean(losses[:6]), losses

    proc = _mim_train(work_dir, tiny_options(data, max_epochs=10), '--resume')
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-6000:]
    assert 'resumed epoch: 8' in log, log[-3000:]
    assert len(_losses(work_dir / 'epoch_10.pth')) == 40
