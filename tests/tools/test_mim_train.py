"""`mim train mmaction` on generated videos, in a subprocess as a user runs it, then resume."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import signmae_mm  # noqa: F401  (the loader that reads checkpoints with weights_only=True)
from signmae_mm.testing import make_video_dataset

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / 'configs' / 'smoke' / 'recognizer3d_vit-tiny-p16_8x2x1_synthetic.py'


def _mim() -> str:
    mim = shutil.which('mim', path=str(Path(sys.executable).parent)) or shutil.which('mim')
    if mim is None:
        pytest.fail('`mim` (openmim) is not installed beside this Python')
    return mim


def _train(work_dir: Path, data: dict, *extra: str) -> subprocess.CompletedProcess:
    cmd = [
        _mim(), 'train', 'mmaction', str(CONFIG), '--work-dir', str(work_dir),
        '--cfg-options', f'train_dataloader.dataset.ann_file={data["train"]}',
        f'train_dataloader.dataset.data_prefix.video={data["data_prefix"]}',
        f'val_dataloader.dataset.ann_file={data["val"]}',
        f'val_dataloader.dataset.data_prefix.video={data["data_prefix"]}', *extra
    ]
    # mim runs the training in a subprocess whose sys.path lacks the current folder: the
    # plugin must come from the installed package, as for a user (cwd is the temp dir).
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    return subprocess.run(cmd, cwd=work_dir.parent, env=env, capture_output=True, text=True,
                          timeout=600)


@pytest.fixture(scope='module')
def smoke_data(tmp_path_factory):
    return make_video_dataset(tmp_path_factory.mktemp('smoke'), num_classes=2,
                              videos_per_class=4, num_frames=16, size=64)


def test_mim_train_saves_and_resumes(smoke_data, tmp_path):
    work_dir = tmp_path / 'work'
    proc = _train(work_dir, smoke_data)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    for epoch in (1, 2):
        assert (work_dir / f'epoch_{epoch}.pth').is_file()
    ckpt = torch.load(work_dir / 'epoch_2.pth', weights_only=True)
    assert ckpt['meta']['epoch'] == 2
    assert 'backbone.blocks.0.attn.qkv.weight' in ckpt['state_dict']

    proc = _train(work_dir, smoke_data, 'train_cfg.max_epochs=3', '--resume')
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-6000:]
    assert 'resumed epoch: 2' in log, log[-3000:]
    resumed = torch.load(work_dir / 'epoch_3.pth', weights_only=True)
    assert resumed['meta']['epoch'] == 3
    # The message hub (loss history) came through the resume, not a fresh one.
    hub = resumed['message_hub']['log_scalars']
    assert len(hub['train/loss']._log_history) > len(
        ckpt['message_hub']['log_scalars']['train/loss']._log_history)
