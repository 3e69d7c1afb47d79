"""A tiny SignMAE pretraining run on the built-in demo clips, launched the way users launch it
(``mim train`` / ``torchrun`` of mmaction2's ``tools/train.py``), for the engine tests."""
import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import torch

REPO = Path(__file__).resolve().parents[2]
PRETRAIN_CONFIG = REPO / 'configs' / 'signmae_pretrain.py'
HERE = Path(__file__).resolve().parent

TINY_CONFIG = """\
_base_ = [{base!r}]
custom_imports = dict(imports={imports!r}, allow_failed_imports=False)

model = dict(
    backbone=dict(img_size=32, patch_size=8, num_frames=8, embed_dims=32, depth=1,
                  num_heads=2),
    neck=dict(embed_dims=32, depth=1, num_heads=2))
train_pipeline = [
    dict(type='DecordInit'),
    dict(type='SampleFrames', clip_len=8, frame_interval=2, num_clips=1),
    dict(type='LoadSignAnnotation'),
    dict(type='DecordDecode'),
    dict(type='MultiScaleCrop', input_size=32, scales=(1, 0.875, 0.75, 0.66),
         random_crop=False, max_wh_scale_gap=1),
    dict(type='Resize', scale=(32, 32), keep_ratio=False),
    dict(type='Flip', flip_ratio=0.5),
    dict(type='SegmentGuidedHandMask', ratio=0.75, tubelet_size=2, patch_size=8,
         input_size=(8, 32, 32)),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs', algorithm_keys=('mask', ))
]
train_dataloader = dict(
    batch_size=2, num_workers={workers}, persistent_workers={persistent},
    dataset=dict(ann_file={ann_file!r}, data_prefix={data_prefix!r}, pipeline=train_pipeline))
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs={max_epochs})
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max={max_epochs}, by_epoch=True, begin=1,
         end={max_epochs}, eta_min=1e-5, convert_to_iter_based=True)
]
optim_wrapper = dict(optimizer=dict(lr=1e-3))
auto_scale_lr = dict(enable=False)
default_hooks = dict(
    logger=dict(interval=1), checkpoint=dict(interval={ckpt_interval}, max_keep_ckpts=-1))
custom_hooks = {custom_hooks!r}
randomness = dict(seed=0, diff_rank_seed=True, deterministic=True)
env_cfg = dict(dist_cfg=dict(backend='gloo'))
"""


def make_demo_clips(root: Path) -> Dict[str, str]:
    """Four training clips (2 signs x 2) of the built-in demo generator: 16 frames, 64 px."""
    from signmae_mm.demo import write_demo_dataset
    out = write_demo_dataset(str(root), num_classes=2, videos_per_class=4, num_frames=16,
                             size=64, grid=(16, 16))
    return dict(ann_file=out.ann_files['train'],
                data_prefix=dict(video=out.video_prefix, sign_ann=out.sign_ann_prefix))


def write_tiny_config(path: Path, data: Dict, max_epochs: int, ckpt_interval: int,
                      workers: int = 0, persistent: bool = False,
                      extra_hooks: Sequence[dict] = (),
                      extra_imports: Sequence[str] = (), extra: str = '') -> Path:
    """Write a config inheriting ``configs/signmae_pretrain.py`` (its epoch-based loop, sampler,
    dataset options and hooks) with a tiny model, 8-frame 32 px clips and a short schedule."""
    text = TINY_CONFIG.format(
        base=str(PRETRAIN_CONFIG), imports=['signmae_mm', *extra_imports],
        ann_file=data['ann_file'], data_prefix=data['data_prefix'], workers=workers,
        persistent=persistent, max_epochs=max_epochs, ckpt_interval=ckpt_interval,
        custom_hooks=[dict(type='StepSeedHook'), *extra_hooks]) + extra
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def subprocess_env(threads: int = 1) -> Dict[str, str]:
    """Our environment without PYTHONPATH, plus this folder (test-only hooks) and few threads."""
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    env.update(PYTHONPATH=str(HERE), OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    return env


def bin_path(name: str) -> str:
    """An executable of this virtual environment (``mim``, ``torchrun``)."""
    path = Path(sys.executable).parent / name
    assert path.exists(), f'{name} is not installed beside {sys.executable}'
    return str(path)


def mim_train(config: Path, work_dir: Path, *extra: str,
              cfg_options: Optional[List[str]] = None,
              timeout: float = 300) -> subprocess.CompletedProcess:
    """``mim train mmaction CONFIG --work-dir W [extra]`` in a subprocess."""
    cmd = [bin_path('mim'), 'train', 'mmaction', str(config), '--work-dir', str(work_dir),
           *extra]
    if cfg_options:
        cmd += ['--cfg-options', *cfg_options]
    return subprocess.run(cmd, cwd=str(work_dir.parent), env=subprocess_env(),
                          capture_output=True, text=True, timeout=timeout)


def load_state(checkpoint: Path) -> Dict[str, torch.Tensor]:
    """The model weights of a checkpoint (loaded with ``weights_only=True``)."""
    return torch.load(checkpoint, map_location='cpu', weights_only=True)['state_dict']


def logged_losses(checkpoint: Path) -> List[float]:
    """Every ``train/loss`` the run logged up to this checkpoint (mmengine's message hub)."""
    hub = torch.load(checkpoint, map_location='cpu', weights_only=True)['message_hub']
    return [float(v) for v in hub['log_scalars']['train/loss']._log_history]


def assert_same_weights(a: Dict[str, torch.Tensor], b: Dict[str, torch.Tensor]) -> None:
    """Bit-identical state dicts (same keys, equal tensors)."""
    assert a.keys() == b.keys()
    differing = [k for k in a if not torch.equal(a[k], b[k])]
    assert not differing, f'weights differ: {differing[:5]}'
