"""Acceptance: the README's "your own sign videos" path on real clips, through the user's entry
points: a folder of labelled clips -> tools/convert_datasets.py folder -> tools/preprocess.py
(MediaPipe) -> mim train (pretraining, then finetuning) -> mim test -> tools/recognize.py on a
held-back clip. One epoch each at the demo's CPU size: this checks the way, not the accuracy
(configs/demo/README.md has the accuracy of this recipe)."""
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from signmae_mm.testing import write_video

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / 'tests' / 'data'
PRETRAIN = REPO / 'configs' / 'folder' / 'signmae-handarm_vit-tiny-p8_8x2x1_folder.py'
FINETUNE = REPO / 'configs' / 'folder' / 'vit-tiny-p8_signmae-handarm-pre_8x2x1_folder.py'
CLIP = 18


def _frames(name: str) -> np.ndarray:
    """All frames of a test clip, RGB, at half size (MediaPipe runs on fewer pixels)."""
    cap = cv2.VideoCapture(str(DATA / name))
    frames = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        frame = cv2.resize(frame, (frame.shape[1] // 2, frame.shape[0] // 2))
        frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
    return np.stack(frames)


def _recorded_folder(root: Path) -> Path:
    """Two signs of four clips each, cut from the real clips, as people record them
    (``ROOT/<gloss>/<clip>.mp4``); and a fifth clip of the first sign kept apart."""
    drink, pair = _frames('ntu_drink_s001c001p001r001a001.mp4'), _frames(
        'demo_skeleton_two_people.mp4')
    for k in range(4):
        write_video(root / 'videos' / 'drink' / f'signer{k}_drink.mp4',
                    drink[k * CLIP:(k + 1) * CLIP], 30)
    for k in range(3):
        write_video(root / 'videos' / 'wave' / f'signer{k}_wave.mp4',
                    pair[k * CLIP:(k + 1) * CLIP], 28)
    write_video(root / 'videos' / 'wave' / 'signer3_wave.mp4', pair[:CLIP, :, ::-1], 28)
    held_back = root / 'held_back_drink.mp4'
    write_video(held_back, drink[CLIP // 2:CLIP // 2 + CLIP], 30)
    return held_back


def _run(*args, cwd: Path) -> str:
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    env['PATH'] = f'{Path(sys.executable).parent}{os.pathsep}{env.get("PATH", "")}'
    proc = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, f'{args[:3]}: exit {proc.returncode}\n{out[-5000:]}'
    return out


@pytest.mark.requires('mediapipe')
def test_own_clips_from_folder_to_a_named_sign(tmp_path):
    held_back = _recorded_folder(tmp_path)
    mim = shutil.which('mim', path=str(Path(sys.executable).parent))
    assert mim, '`mim` (openmim) is not installed beside this Python'
    py = sys.executable
    ann, videos, sign_ann = tmp_path / 'annotations', tmp_path / 'videos', tmp_path / 'sign_ann'

    out = _run(py, REPO / 'tools' / 'convert_datasets.py', 'folder', videos, '--out-dir', ann,
               cwd=tmp_path)
    classes = (ann / 'folder_classes.txt').read_text().split()
    assert classes == ['drink', 'wave'], out
    for split in ('train', 'val', 'test'):
        _run(py, REPO / 'tools' / 'preprocess.py', ann / f'folder_{split}.json', '--video-root',
             videos, '--out-dir', sign_ann, '--pose-backend', 'mediapipe', cwd=tmp_path)
    assert len(list(sign_ann.rglob('*.npz'))) == 8

    data = [f'train_dataloader.dataset.ann_file={ann}/folder_train.json',
            f'train_dataloader.dataset.data_prefix.video={videos}',
            'train_dataloader.batch_size=2', 'train_dataloader.num_workers=0',
            'train_dataloader.persistent_workers=False', 'train_cfg.max_epochs=1',
            'default_hooks.logger.interval=1']
    pre_dir = tmp_path / 'work' / 'pretrain'
    _run(mim, 'train', 'mmaction', PRETRAIN, '--work-dir', pre_dir, '--cfg-options', *data,
         f'train_dataloader.dataset.data_prefix.sign_ann={sign_ann}', cwd=tmp_path)
    pretrained = (pre_dir / 'last_checkpoint').read_text().strip()

    eval_data = []
    for split in ('val', 'test'):
        eval_data += [f'{split}_dataloader.dataset.ann_file={ann}/folder_{split}.json',
                      f'{split}_dataloader.dataset.data_prefix.video={videos}',
                      f'{split}_dataloader.num_workers=0',
                      f'{split}_dataloader.persistent_workers=False']
    ft_dir = tmp_path / 'work' / 'finetune'
    log = _run(mim, 'train', 'mmaction', FINETUNE, '--work-dir', ft_dir, '--cfg-options', *data,
               *eval_data, f'model.backbone.init_cfg.checkpoint={pretrained}',
               f'model.cls_head.num_classes={len(classes)}', cwd=tmp_path)
    assert f'load backbone. in model from: {pretrained}' in log
    finetuned = (ft_dir / 'last_checkpoint').read_text().strip()

    log = _run(mim, 'test', 'mmaction', FINETUNE, '--checkpoint', finetuned, '--work-dir',
               ft_dir / 'test', '--cfg-options', *eval_data,
               f'model.cls_head.num_classes={len(classes)}', cwd=tmp_path)
    assert re.search(r'Epoch\(test\).*acc/per_instance_top1', log), log[-3000:]

    result = tmp_path / 'recognized.json'
    out = _run(py, REPO / 'tools' / 'recognize.py', FINETUNE, finetuned, held_back, '--out',
               result, '--cfg-options', f'model.cls_head.num_classes={len(classes)}',
               cwd=tmp_path)
    top = json.loads(result.read_text())[0]['top_k']['prediction']
    assert sorted(r['name'] for r in top) == classes  # both signs, named, best first
    assert top[0]['score'] >= top[1]['score']
    assert f'1. {top[0]["name"]}' in out
