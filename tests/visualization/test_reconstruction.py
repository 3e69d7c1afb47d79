"""Reconstructions of a pretraining model: the mean-predictor floor, reconstruct / draw, and
tools/visualize_reconstruction.py end to end, on the demo pretraining config shrunk to a tiny
model and 8-frame 64x64 clips of a generated demo set."""
import os
import re
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.model import BaseModel
from mmengine.registry import init_default_scope
from mmengine.runner import save_checkpoint

import signmae_mm  # noqa: F401  (before mmaction.models)
from mmaction.registry import DATASETS, MODELS
from signmae_mm.datasets.seeding import SeededIndex
from signmae_mm.demo import write_demo_dataset
from signmae_mm.models.utils import patchify
from signmae_mm.visualization import (BANNER_HEIGHT, HEADER_HEIGHT, LABEL_WIDTH, MASK_GREY,
                                      CheckpointMismatchError, draw_reconstruction, figure_size,
                                      load_pretrainer, packed_sample, reconstruct, unpatchify)

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / 'configs' / 'demo' / 'signmae-handarm_vit-tiny-p8_8x2x1_signdemo.py'
TOOL = REPO / 'tools' / 'visualize_reconstruction.py'
SIZE, FRAMES, PATCH, TUBELET = 64, 8, 8, 4
GRID = (FRAMES // TUBELET, SIZE // PATCH, SIZE // PATCH)  # (2, 8, 8)
PIPE = 'train_dataloader.dataset.pipeline'


@pytest.fixture(scope='module', autouse=True)
def one_thread():
    """One intra-op thread: the models are tiny, and on a busy 2-core machine a second thread
    spinning for its share made a training step 100x slower (1.3 s instead of 0.013 s)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope='module')
def demo(tmp_path_factory):
    """2 classes x 3 videos of 16 frames at 64x64 (2 training videos)."""
    return write_demo_dataset(str(tmp_path_factory.mktemp('demo')), num_classes=2,
                              videos_per_class=3, num_frames=16, size=SIZE, seed=1)


def shrink_options(demo) -> dict:
    """Overrides of the demo config: the demo set above, a tiny model, 8 x 64x64 clips."""
    return {
        'train_dataloader.dataset.ann_file': demo.ann_files['train'],
        'train_dataloader.dataset.data_prefix.video': demo.video_prefix,
        'train_dataloader.dataset.data_prefix.sign_ann': demo.sign_ann_prefix,
        'model.backbone.img_size': SIZE, 'model.backbone.num_frames': FRAMES,
        'model.backbone.embed_dims': 64, 'model.backbone.depth': 2,
        'model.backbone.num_heads': 4, 'model.neck.embed_dims': 32, 'model.neck.depth': 1,
        'model.neck.num_heads': 4,
        f'{PIPE}.1.clip_len': FRAMES, f'{PIPE}.5.input_size': SIZE,
        f'{PIPE}.6.scale': (SIZE, SIZE), f'{PIPE}.7.input_size': (FRAMES, SIZE, SIZE),
    }


def cli_options(demo) -> list:
    return [f'{k}={v}'.replace(' ', '') for k, v in shrink_options(demo).items()]


@pytest.fixture(scope='module')
def cfg(demo):
    cfg = Config.fromfile(str(CONFIG))
    cfg.merge_from_dict(shrink_options(demo))
    return cfg


def build_model(cfg, seed=0):
    init_default_scope('mmaction')
    torch.manual_seed(seed)
    model = MODELS.build(cfg.model)
    model.init_weights()
    return model


@pytest.fixture(scope='module')
def samples(cfg):
    """The training clips, each with its crop and hand-arm mask fixed by the seeded index."""
    init_default_scope('mmaction')
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    return [dataset[SeededIndex(i, seed=0, epoch=0)] for i in range(len(dataset))]


def _head(norm_pix):
    return MODELS.build(dict(type='PixelReconstructionHead', patch_size=8, tubelet_size=2,
                             norm_pix=norm_pix))


# ------------------------------------------------------------------- (a) the floor
@pytest.mark.parametrize('norm_pix', [True, False])
@pytest.mark.parametrize('dual', [False, True], ids=['all-masked', 'dual'])
def test_floor_is_the_loss_of_predicting_each_tubelet_by_its_mean(norm_pix, dual):
    head = _head(norm_pix)
    gen = torch.Generator().manual_seed(0)
    video = torch.randint(0, 256, (2, 3, 8, 32, 32), generator=gen).float()
    video[0, :, :2, :8, :8] = 77.  # one flat tubelet: its floor is 0
    mask = torch.zeros(2, 64, dtype=torch.bool)
    mask[:, ::2] = True
    mask[0, 0] = True  # the flat tubelet is masked
    mask[0, 1] = False
    target_mask = torch.zeros_like(mask)
    target_mask[:, :32] = True  # dual masking: visible tokens reconstructed here weigh 0
    target_mask = target_mask if dual else None
    selected = mask if target_mask is None else target_mask
    # The explicit prediction: each tubelet's per-channel mean in the target's space.
    target = head.construct_target(video).reshape(2, 64, -1, 3)
    pred = target.mean(dim=2, keepdim=True).expand_as(target).reshape(2, 64, -1)
    pred = pred[selected].reshape(2, int(selected[0].sum()), -1)
    losses = head.loss_by_feat(pred, video, mask, target_mask)
    floor = head.mean_predictor_loss(video, mask, target_mask)
    assert floor.item() == pytest.approx(losses['loss_rec'].item(), rel=1e-6)
    assert losses['floor_rec'].item() == pytest.approx(floor.item(), rel=1e-6)
    if not norm_pix:
        # Per-tubelet (biased) variance of the [0, 1] pixels, averaged over the masked ones.
        tubelets = patchify(video / 255., 2, 8).reshape(2, 64, -1, 3)
        var = tubelets.var(dim=2, unbiased=False).mean(dim=-1)
        weight = (mask & selected).float()
        assert floor.item() == pytest.approx(((var * weight).sum() / weight.sum()).item(),
                                             rel=1e-5)


def test_floor_of_noise_with_norm_pix_is_n_minus_1_over_n():
    n = 2 * 8 * 8  # pixels of a tubelet
    video = torch.randint(0, 256, (2, 3, 8, 32, 32),
                          generator=torch.Generator().manual_seed(1)).float()
    mask = torch.rand(2, 64, generator=torch.Generator().manual_seed(2)).argsort(1) < 48
    assert _head(True).mean_predictor_loss(video, mask).item() == pytest.approx((n - 1) / n,
                                                                                rel=1e-4)


def test_floor_is_logged_not_optimised():
    head = _head(True)
    video = torch.randint(0, 256, (1, 3, 8, 32, 32)).float()
    mask = torch.zeros(1, 64, dtype=torch.bool)
    mask[:, :48] = True
    pred = torch.randn(1, 48, 384, requires_grad=True)
    losses = head.loss_by_feat(pred, video, mask)
    # mmengine's parse_losses adds up the keys holding 'loss': loss_rec only.
    assert [k for k in losses if 'loss' in k] == ['loss_rec']
    assert not losses['floor_rec'].requires_grad
    total, log_vars = BaseModel.parse_losses(None, losses)
    assert total.item() == pytest.approx(losses['loss_rec'].item())  # the floor is not added
    assert set(log_vars) == {'loss', 'loss_rec', 'floor_rec'}


# ------------------------------------------------------------- reconstruct / draw
def _tokens(frames: np.ndarray) -> torch.Tensor:
    """``(T, H, W, C)`` frames -> ``(N, D)`` tubelets."""
    return patchify(torch.from_numpy(frames).permute(3, 0, 1, 2)[None], TUBELET, PATCH)[0]


def test_reconstruct_keeps_visible_tokens_and_reports_the_models_loss(cfg, samples):
    model = build_model(cfg)
    data = samples[0]
    result = reconstruct(model, data)
    assert model.training  # the train/eval state is restored
    clip, recon, mask = result['clip'], result['reconstruction'], result['mask']
    assert clip.shape == recon.shape == (FRAMES, SIZE, SIZE, 3) and clip.dtype == np.uint8
    assert result['grid'] == GRID and mask.shape == (int(np.prod(GRID)), ) and mask.dtype == bool
    # The clip is the pipeline's frames (normalisation undone), in their channel order.
    frames = data['inputs'][0].permute(1, 2, 3, 0).numpy()
    assert np.abs(clip.astype(int) - frames.astype(int)).max() <= 1
    np.testing.assert_array_equal(mask, np.asarray(data['data_samples'].mask))
    # Visible tubelets are copied, masked ones are the model's prediction.
    ours, theirs = _tokens(recon), _tokens(clip)
    masked = torch.from_numpy(mask)
    assert torch.equal(ours[~masked], theirs[~masked])
    assert not torch.equal(ours[masked], theirs[masked])
    # Loss and floor are the model's own for this clip (eval mode, a batch of one).
    model.eval()
    with torch.no_grad():
        losses = model(**model.data_preprocessor(pseudo_collate([data])), mode='loss')
    assert result['loss'] == pytest.approx(losses['loss_rec'].item(), rel=1e-5)
    assert result['floor'] == pytest.approx(losses['floor_rec'].item(), rel=1e-5)


def test_reconstruct_reads_the_pixel_head_of_a_model_with_a_motion_head(cfg, samples):
    """configs/demo/signmae-handarm-motion_...: the pixel head first, the motion head beside."""
    motion_cfg = Config.fromfile(str(CONFIG.parent /
                                     'signmae-handarm-motion_vit-tiny-p8_8x2x1_signdemo.py'))
    two = cfg.copy()
    two.merge_from_dict(dict(model=dict(head=None, heads=motion_cfg.model.heads)))
    model = build_model(two)
    assert [type(h).__name__ for h in model.heads] == ['PixelReconstructionHead',
                                                       'MotionReconstructionHead']
    result = reconstruct(model, samples[0])
    assert result['reconstruction'].shape == (FRAMES, SIZE, SIZE, 3)
    model.eval()
    with torch.no_grad():
        losses = model(**model.data_preprocessor(pseudo_collate([samples[0]])), mode='loss')
    assert set(losses) == {'loss_rec', 'floor_rec', 'loss_motion', 'floor_motion'}
    assert result['loss'] == pytest.approx(losses['loss_rec'].item(), rel=1e-5)


def test_unpatchify_inverts_patchify():
    video = torch.randn(2, 3, 8, 32, 48)
    assert torch.equal(unpatchify(patchify(video, 2, 16), (4, 2, 3), 2, 16, 3), video)


def test_drawing_has_three_rows_one_column_per_slot(cfg, samples):
    result = reconstruct(build_model(cfg), samples[0])
    image = draw_reconstruction(result, title='clip')
    height, width = figure_size(result)
    assert image.shape == (height, width, 3) and image.dtype == np.uint8
    scale = 2  # 64 px frames are upscaled to 128
    assert (height, width) == (BANNER_HEIGHT + HEADER_HEIGHT + 3 * SIZE * scale,
                               LABEL_WIDTH + GRID[0] * SIZE * scale)
    side, top = SIZE * scale, BANNER_HEIGHT + HEADER_HEIGHT

    def cell(row, slot):
        y, x = top + row * side, LABEL_WIDTH + slot * side
        return image[y:y + side, x:x + side]

    def up(frame):
        return frame.repeat(scale, 0).repeat(scale, 1)

    slot = 1
    first = slot * TUBELET  # the first frame of the slot
    np.testing.assert_array_equal(cell(0, slot), up(result['clip'][first]))
    np.testing.assert_array_equal(cell(2, slot), up(result['reconstruction'][first]))
    masked = up(result['mask'].reshape(GRID)[slot].repeat(PATCH, 0).repeat(PATCH, 1))
    np.testing.assert_array_equal(cell(1, slot)[masked], MASK_GREY)
    np.testing.assert_array_equal(cell(1, slot)[~masked], up(result['clip'][first])[~masked])
    assert image[:BANNER_HEIGHT].min() < 64  # the banner has text (loss, floor)


# ---------------------------------------------------------------- (b) it learns
def test_short_training_brings_the_loss_below_the_floor(cfg, samples):
    """A check that the model learns (it beats per-tubelet means), not of a number."""
    model = build_model(cfg)
    batch = model.data_preprocessor(pseudo_collate(samples), training=True)
    model.eval()
    with torch.no_grad():
        before = model(**batch, mode='loss')
    assert before['loss_rec'] > before['floor_rec']  # a fresh model does not beat the floor
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3, betas=(0.9, 0.95))
    model.train()
    for _ in range(30):
        loss = model(**batch, mode='loss')['loss_rec']
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        after = model(**batch, mode='loss')
    assert after['floor_rec'] == before['floor_rec']  # same clips, same masks
    assert after['loss_rec'] < after['floor_rec'], (before, after)


# ------------------------------------------------------------------ (c, d) the tool
def _run_tool(*args):
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=os.pathsep.join(
        [str(REPO)] + [p for p in os.environ.get('PYTHONPATH', '').split(os.pathsep) if p]))
    return subprocess.run([sys.executable, str(TOOL), *map(str, args)], capture_output=True,
                          text=True, timeout=300, env=env, cwd=str(REPO))


def test_tool_draws_a_checkpoint_on_a_dataset_sample(cfg, demo, tmp_path):
    model = build_model(cfg, seed=3)
    checkpoint = tmp_path / 'pretrain.pth'
    save_checkpoint({'meta': dict(epoch=1), 'state_dict': model.state_dict()}, str(checkpoint))
    out = tmp_path / 'rec.png'
    proc = _run_tool(CONFIG, checkpoint, '--index', 1, '--seed', 4, '--out', out,
                     '--cfg-options', *cli_options(demo))
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert f'wrote {out}' in proc.stdout
    png = cv2.imread(str(out))
    assert png.shape == (BANNER_HEIGHT + HEADER_HEIGHT + 3 * 128, LABEL_WIDTH + GRID[0] * 128, 3)
    found = re.search(r'loss_rec ([\d.]+)\s+floor ([\d.]+)\s+mask (\w+)', proc.stdout)
    assert found, proc.stdout
    # The same sample and seed in this process give the printed numbers: the mask is seeded.
    data, meta = packed_sample(cfg, index=1, seed=4)
    expected = reconstruct(model, data)
    assert float(found.group(1)) == pytest.approx(expected['loss'], abs=2e-6)
    assert float(found.group(2)) == pytest.approx(expected['floor'], abs=2e-6)
    assert found.group(3) == meta['mask_type'] == 'hand_arm'
    assert 0.5 < expected['floor'] <= 1  # norm_pix: about (n - 1) / n per non-flat tubelet


def test_tool_takes_a_video_and_its_sign_annotation(cfg, demo, tmp_path):
    model = build_model(cfg, seed=5)
    checkpoint = tmp_path / 'pretrain.pth'
    save_checkpoint({'state_dict': model.state_dict()}, str(checkpoint))
    video = sorted(Path(demo.video_prefix, 'train').glob('*.mp4'))[0]
    sign_ann = Path(demo.sign_ann_prefix, 'train', video.stem + '.npz')
    out = tmp_path / 'video.png'
    model = load_pretrainer(cfg, str(checkpoint))
    first, second = (reconstruct(model, packed_sample(cfg, video=str(video),
                                                      sign_ann=str(sign_ann), seed=2)[0])
                     for _ in range(2))
    np.testing.assert_array_equal(first['mask'], second['mask'])  # seeded: the same mask
    assert first['loss'] == second['loss']
    proc = _run_tool(CONFIG, checkpoint, '--video', video, '--sign-ann', sign_ann, '--out', out,
                     '--seed', 2, '--cfg-options', *cli_options(demo))
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert cv2.imread(str(out)).shape[:2] == figure_size(first)
    assert f'loss_rec {first["loss"]:.6f}' in proc.stdout and 'mask hand_arm' in proc.stdout


def test_tool_rejects_a_checkpoint_of_another_architecture(cfg, demo, tmp_path):
    init_default_scope('mmaction')
    # A finetuning model (mmaction2's ViT + a classifier): a plausible wrong file to pass.
    other = MODELS.build(dict(
        type='Recognizer3D',
        backbone=dict(type='VisionTransformer', img_size=SIZE, patch_size=PATCH, embed_dims=64,
                      depth=2, num_heads=4, num_frames=FRAMES, norm_cfg=dict(type='LN', eps=1e-6)),
        cls_head=dict(type='TimeSformerHead', num_classes=2, in_channels=64),
        data_preprocessor=dict(type='ActionDataPreprocessor', format_shape='NCTHW')))
    checkpoint = tmp_path / 'finetuned.pth'
    save_checkpoint({'state_dict': other.state_dict()}, str(checkpoint))
    out = tmp_path / 'never.png'
    proc = _run_tool(CONFIG, checkpoint, '--out', out, '--cfg-options', *cli_options(demo))
    assert proc.returncode != 0
    assert 'Traceback' not in proc.stderr, proc.stderr[-3000:]
    message = proc.stderr.strip().splitlines()[-1]
    assert f'checkpoint {checkpoint} does not match the model of {CONFIG}' in message
    assert re.search(r'\d+ missing keys \(', message) and '4 unexpected keys (' in message
    assert 'neck.mask_token' in message and 'cls_head.fc_cls.weight' in message
    assert not out.exists()
    with pytest.raises(CheckpointMismatchError, match='4 unexpected keys'):
        load_pretrainer(cfg, str(checkpoint))


def test_tool_draws_several_videos_one_below_the_other(cfg, demo, tmp_path):
    checkpoint = tmp_path / 'pretrain.pth'
    save_checkpoint({'state_dict': build_model(cfg, seed=5).state_dict()}, str(checkpoint))
    videos = sorted(Path(demo.video_prefix, 'train').glob('*.mp4'))[:2]
    anns = [Path(demo.sign_ann_prefix, 'train', v.stem + '.npz') for v in videos]
    out = tmp_path / 'pair.png'
    proc = _run_tool(CONFIG, checkpoint, '--video', *videos, '--sign-ann', *anns, '--out', out,
                     '--cfg-options', *cli_options(demo))
    assert proc.returncode == 0, proc.stderr[-4000:]
    height, width = figure_size(reconstruct(load_pretrainer(cfg, str(checkpoint)),
                                            packed_sample(cfg, video=str(videos[0]),
                                                          sign_ann=str(anns[0]))[0]))
    assert cv2.imread(str(out)).shape[:2] == (2 * height + 6, width)  # 6 white rows between
    for video in videos:  # one line per clip, named
        assert re.search(rf'{video.name}: loss_rec [\d.]+\s+floor', proc.stdout), proc.stdout
    # one annotation per video, or a clear stop before any work
    proc = _run_tool(CONFIG, checkpoint, '--video', *videos, '--sign-ann', anns[0], '--out', out)
    assert proc.returncode == 2 and '2 --video but 1 --sign-ann' in proc.stderr
