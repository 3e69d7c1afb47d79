"""The heatmap pipelines of our configs, run with real mmaction2 transforms on a real mp4:
heatmap shapes, peaks that follow the keypoints through crop / resize / flip (left and right
swapped on flip), and heatmaps that lie on the RGB crop of the same sample."""
import copy
from pathlib import Path

import numpy as np
import pytest
from _pose_clips import H, UNDETECTED, W, run_pipeline, write_two_hand_sample
from mmengine.config import Config

from signmae_mm.datasets.transforms import (COCO_WHOLEBODY_FLIP_INDICES, NLA_SLR_63,
                                            NLA_SLR_63_LEFT_KP, NLA_SLR_63_RIGHT_KP)

CONFIGS = Path(__file__).resolve().parents[3] / 'configs'
HEATMAP = CONFIGS / 'heatmap' / 'heatmap-c3d_nla63-112px_16x4x1_wlasl2000.py'
LEARNED = CONFIGS / 'fusion' / 'learned-fusion_vit-b-handarm-tube_heatmap-c3d_16x4x1_wlasl2000.py'
LATE = CONFIGS / 'fusion' / 'late-fusion_vit-b-handarm-tube_heatmap-c3d_16x4x1_wlasl2000.py'
CLIP_LEN, CROP, MAP = 8, 224, 112
LEFT_HAND = [NLA_SLR_63.index(k) for k in range(91, 112)]
RIGHT_HAND = [NLA_SLR_63.index(k) for k in range(112, 133)]
#: subset position -> position of its mirror point
MIRROR = [NLA_SLR_63.index(COCO_WHOLEBODY_FLIP_INDICES[k]) for k in NLA_SLR_63]


@pytest.fixture(scope='module')
def sample(tmp_path_factory):
    return write_two_hand_sample(tmp_path_factory.mktemp('pose'))


def _pipeline(config: Path, which: str = 'train', flip: float = None) -> list:
    """A config's pipeline with 8-frame clips; ``flip`` sets (or inserts) Flip's ratio."""
    cfg = Config.fromfile(str(config))
    pipeline = copy.deepcopy(cfg[f'{which}_dataloader'].dataset.pipeline)
    for t in pipeline:
        if t['type'] == 'SampleSignFrames':
            t.update(clip_len=CLIP_LEN, frame_interval=2)
    if flip is not None:
        flips = [t for t in pipeline if t['type'] == 'Flip']
        if flips:
            flips[0]['flip_ratio'] = flip
        else:
            at = [t['type'] for t in pipeline].index('GeneratePoseTarget')
            pipeline.insert(at, dict(type='Flip', flip_ratio=flip, left_kp=NLA_SLR_63_LEFT_KP,
                                     right_kp=NLA_SLR_63_RIGHT_KP))
    return pipeline


def _expected_peaks(sample: dict, state: dict) -> np.ndarray:
    """Where each channel's Gaussian must be, computed from the drawn keypoints and the crop /
    flip that the pipeline recorded: ``(T, 63, 2)`` (u, v) in heatmap pixels, NaN where the
    channel must be empty."""
    inds = np.asarray(state['frame_inds']).reshape(-1)
    kps = sample['keypoints'][inds][:, list(NLA_SLR_63)]
    detected = sample['scores'][inds][:, list(NLA_SLR_63)] > 0
    qx, qy, qw, qh = state['crop_quadruple']
    u = (kps[..., 0] / W - qx) / qw * MAP
    v = (kps[..., 1] / H - qy) / qh * MAP
    if state['flip']:  # mirrored, and every channel now holds its mirror point
        u, v, detected = MAP - u[:, MIRROR], v[:, MIRROR], detected[:, MIRROR]
    out = np.stack([u, v], -1)
    out[~detected] = np.nan
    return out


def _check_peaks(heatmaps: np.ndarray, expected: np.ndarray) -> int:
    """heatmaps ``(63, T, MAP, MAP)``; returns the number of peaks checked."""
    checked = 0
    for t in range(expected.shape[0]):
        for c in range(expected.shape[1]):
            u, v = expected[t, c]
            hm = heatmaps[c, t]
            if np.isnan(u) or u < -12 or v < -12 or u > MAP + 12 or v > MAP + 12:
                assert hm.max() == 0, (t, c, u, v, hm.max())
                continue
            if not (1 <= u <= MAP - 2 and 1 <= v <= MAP - 2):
                continue  # on the border: partly drawn
            row, col = np.unravel_index(np.argmax(hm), hm.shape)
            assert abs(col - u) <= 1 and abs(row - v) <= 1, (t, c, (col, row), (u, v))
            assert hm.max() > 0.9
            checked += 1
    return checked


@pytest.mark.parametrize('flip', [0., 1.], ids=['no-flip', 'flip'])
@pytest.mark.parametrize('seed', [0, 1])
def test_heatmap_stream_peaks_follow_keypoints_through_crop_and_flip(sample, flip, seed):
    np.random.seed(seed)
    state, packed = run_pipeline(_pipeline(HEATMAP, flip=flip), sample['info'])
    heatmaps = packed['inputs'].numpy()
    assert heatmaps.shape == (1, 63, CLIP_LEN, MAP, MAP)
    assert bool(state['flip']) is bool(flip)
    assert state['crop_quadruple'][2] < 1 or state['crop_quadruple'][3] < 1  # a real crop
    expected = _expected_peaks(sample, state)
    assert _check_peaks(heatmaps[0], expected) > 0.6 * np.isfinite(expected[..., 0]).sum()
    # the undetected point's channel is empty; after a flip the channel of its mirror is
    empty = MIRROR[NLA_SLR_63.index(UNDETECTED)] if flip else NLA_SLR_63.index(UNDETECTED)
    assert heatmaps[0, empty].max() == 0


def _colour_at(imgs: np.ndarray, t: int, row: int, col: int) -> str:
    """'red' / 'green' / 'other' of the RGB crop at a heatmap pixel (2x2 RGB pixels)."""
    r, g, b = imgs[:, t, 2 * row:2 * row + 2, 2 * col:2 * col + 2].reshape(3, -1).mean(1)
    if r > 150 and g < 100 and b < 100:
        return 'red'
    if g > 150 and r < 100 and b < 100:
        return 'green'
    return 'other'


@pytest.mark.parametrize('flip', [0., 1.], ids=['no-flip', 'flip'])
def test_fusion_sample_heatmaps_lie_on_the_rgb_crop_and_hands_swap_on_flip(sample, flip):
    # the subject's left hand is red: its channels sit on red pixels, or on green ones (the
    # mirrored right hand) once flipped; and the other way round
    left_colour, right_colour = ('green', 'red') if flip else ('red', 'green')
    seen = {left_colour: 0, right_colour: 0}
    for seed in range(10):  # random crops until both hands were seen
        np.random.seed(seed)
        state, packed = run_pipeline(_pipeline(LEARNED, flip=flip), sample['info'])
        imgs = packed['inputs']['imgs'].numpy()
        heatmaps = packed['inputs']['heatmap_imgs'].numpy()
        assert imgs.shape == (1, 3, CLIP_LEN, CROP, CROP)
        assert heatmaps.shape == (1, 63, CLIP_LEN, MAP, MAP)
        assert bool(state['flip']) is bool(flip)
        _check_peaks(heatmaps[0], _expected_peaks(sample, state))
        for channels, colour in ((LEFT_HAND, left_colour), (RIGHT_HAND, right_colour)):
            for c in channels:
                for t in range(CLIP_LEN):
                    hm = heatmaps[0, c, t]
                    if hm.max() < 0.9:
                        continue  # outside the crop
                    row, col = np.unravel_index(np.argmax(hm), hm.shape)
                    assert _colour_at(imgs[0], t, row, col) == colour, (seed, c, t, row, col)
                    seen[colour] += 1
        if min(seen.values()) > 0:
            break
    assert min(seen.values()) > 0, seen


def test_fusion_test_pipeline_gives_both_modalities_for_every_clip(sample):
    state, packed = run_pipeline(_pipeline(LATE, 'test'), dict(sample['info'], test_mode=True))
    assert packed['inputs']['imgs'].shape == (2, 3, CLIP_LEN, CROP, CROP)
    assert packed['inputs']['heatmap_imgs'].shape == (2, 63, CLIP_LEN, MAP, MAP)
    assert state['clip_len'] == dict(RGB=CLIP_LEN, Pose=CLIP_LEN)
    # centre crop, no flip: the second clip's heatmaps follow its own frames
    state['flip'] = False
    expected = _expected_peaks(sample, state)  # (2 * T, 63, 2)
    hm = packed['inputs']['heatmap_imgs'].numpy()
    both = np.concatenate([hm[0], hm[1]], axis=1)  # (63, 2T, MAP, MAP), clips in order
    assert _check_peaks(both, expected) > 0
