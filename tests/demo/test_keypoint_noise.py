"""KeypointNoise: the noisy keypoints' statistics match its parameters; off = unchanged set."""
import json
import os.path as osp

import numpy as np
import pytest

from signmae_mm.demo import KeypointNoise, get_vocabulary, render_clip, write_demo_dataset
from signmae_mm.evaluation.keypoint_noise import (ma3_residual_scale, measure_keypoint_noise,
                                                  missing_runs)
from signmae_mm.structures import KEYPOINT_RANGES, load_sign_annotation

LEFT, RIGHT = slice(*KEYPOINT_RANGES['left_hand']), slice(*KEYPOINT_RANGES['right_hand'])
SIZE = 112
QUIET = dict(dropouts_per_100_frames=0.0, duplicates_per_100_frames=0.0,
             swaps_per_100_frames=0.0)


@pytest.fixture(scope='module')
def held_clip():
    """A demo signer holding one pose for many frames: all noise, no motion."""
    clip = render_clip(get_vocabulary(2)[0], 7, num_frames=1, size=SIZE)
    t = 4000
    return np.repeat(clip.keypoints, t, 0), np.repeat(clip.keypoint_scores, t, 0)


def _extent(kps):
    pts = kps[0, LEFT]
    return float((pts.max(0) - pts.min(0)).max())


def test_jitter_matches_parameters(held_clip):
    kps, scores = held_clip
    noise = KeypointNoise(**QUIET)
    out, _ = noise.apply(kps, scores, (SIZE, SIZE), np.random.default_rng(0))
    ext = _extent(kps)
    d = (out[:, LEFT] - kps[:, LEFT]).astype(np.float64) / ext  # (T, 21, 2)
    shift = d.mean(1)
    shape = d - shift[:, None]
    expected_shift = np.hypot(noise.hand_shift_std, noise.hand_point_std / np.sqrt(21))
    assert shift.std() == pytest.approx(expected_shift, rel=0.15)
    assert shape.std() == pytest.approx(noise.hand_point_std * np.sqrt(20 / 21), rel=0.1)
    lag1 = (shape[1:] * shape[:-1]).mean() / (shape**2).mean()
    assert lag1 == pytest.approx(noise.hand_rho, abs=0.05)
    # and as the measurement sees it: the residual median of that AR(1) noise
    m = measure_keypoint_noise(out, scores, slow_quantile=1.0)
    assert np.median(m.shape_jitter_slow) == pytest.approx(
        ma3_residual_scale(noise.hand_rho) * noise.hand_point_std * np.sqrt(20 / 21), rel=0.1)


def test_dropouts_share_and_runs(held_clip):
    kps, scores = held_clip
    noise = KeypointNoise(duplicates_per_100_frames=0.0)
    _, sc = noise.apply(kps, scores, (SIZE, SIZE), np.random.default_rng(1))
    missing = ~(sc[:, LEFT] > 0).any(1)
    rate, mean_len = noise.dropouts_per_100_frames / 100, np.mean(noise.dropout_run_lengths)
    assert missing.mean() == pytest.approx(rate * mean_len / (1 + rate * mean_len), rel=0.3)
    lengths = [n for _, n in missing_runs(missing)]
    assert np.mean([n == 1 for n in lengths]) == pytest.approx(
        np.mean(np.array(noise.dropout_run_lengths) == 1), abs=0.15)
    # a dropped hand is scored and placed as MediaPipe writes a missing one
    assert (sc[missing, LEFT] == 0).all()


def test_swaps_and_duplicates(held_clip):
    kps, scores = held_clip
    noise = KeypointNoise(hand_shift_std=0.0, hand_point_std=0.0, dropouts_per_100_frames=0.0,
                          duplicates_per_100_frames=0.0, swaps_per_100_frames=5.0)
    out, _ = noise.apply(kps, scores, (SIZE, SIZE), np.random.default_rng(2))
    swapped = np.abs(out[:, LEFT] - kps[:, RIGHT]).max((1, 2)) < 1e-3
    starts = len(missing_runs(swapped))
    assert 100 * starts / (~swapped).sum() == pytest.approx(5.0, rel=0.2)
    noise = KeypointNoise(hand_shift_std=0.0, hand_point_std=0.0, dropouts_per_100_frames=0.0)
    out, _ = noise.apply(kps, scores, (SIZE, SIZE), np.random.default_rng(3))
    dup = np.abs(out[:, LEFT] - out[:, RIGHT]).max((1, 2)) < 1e-3
    runs = [n for _, n in missing_runs(dup)]
    assert 100 * len(runs) / (~dup).sum() == pytest.approx(noise.duplicates_per_100_frames,
                                                            rel=0.25)
    assert np.mean(runs) == pytest.approx(noise.duplicate_mean_run, rel=0.25)


def test_score_quantiles(held_clip):
    kps, scores = held_clip
    noise = KeypointNoise(**QUIET)
    _, sc = noise.apply(kps, scores, (SIZE, SIZE), np.random.default_rng(4))
    arms = sc[:, 5:11].ravel()
    q = noise.score_quantiles['arms']
    assert np.quantile(arms, 0.5) == pytest.approx(q[4], abs=0.01)
    assert np.quantile(arms, 0.1) == pytest.approx(q[2], abs=0.03)
    assert (sc[:, LEFT] == 1).all()  # Holistic scores a given hand 1
    assert (sc[:, 13:23] == 0).all()  # not drawn by the demo: stays not given


def test_deterministic_and_never_nan(held_clip):
    kps, scores = held_clip[0][:200], held_clip[1][:200]
    noise = KeypointNoise(dropouts_per_100_frames=20.0)
    a = noise.apply(kps, scores, (SIZE, SIZE), np.random.default_rng(5))
    b = noise.apply(kps, scores, (SIZE, SIZE), np.random.default_rng(5))
    c = noise.apply(kps, scores, (SIZE, SIZE), np.random.default_rng(6))
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not np.array_equal(a[0], c[0])
    out, sc = a
    assert np.isfinite(out).all() and np.isfinite(sc).all()
    assert (out[sc <= 0] == 0).all() and (sc[:, LEFT] == 0).any()


def test_write_demo_dataset_option(tmp_path):
    kw = dict(num_classes=2, videos_per_class=1, num_frames=8, size=64, seed=1)
    plain = write_demo_dataset(str(tmp_path / 'plain'), **kw)
    noisy = write_demo_dataset(str(tmp_path / 'noisy'), keypoint_noise=KeypointNoise(), **kw)
    stem = 'train/00_' + plain.classes[0] + '_000'
    a = load_sign_annotation(osp.join(plain.sign_ann_prefix, f'{stem}.npz'))
    b = load_sign_annotation(osp.join(noisy.sign_ann_prefix, f'{stem}.npz'))
    clip = render_clip(get_vocabulary(2)[0], [1, 0, 0], 8, 64)
    # off: the exact keypoints of the renderer
    assert np.array_equal(a['keypoints'], clip.keypoints)
    assert np.array_equal(a['keypoint_scores'], clip.keypoint_scores)
    # on: keypoints change, part maps, boxes and videos do not
    assert not np.array_equal(a['keypoints'], b['keypoints'])
    assert np.array_equal(a['part_maps'], b['part_maps'])
    assert np.array_equal(a['person_bboxes'], b['person_bboxes'])
    with open(osp.join(plain.video_prefix, f'{stem}.mp4'), 'rb') as f1, \
            open(osp.join(noisy.video_prefix, f'{stem}.mp4'), 'rb') as f2:
        assert f1.read() == f2.read()
    settings = [json.load(open(osp.join(d.root, 'vocabulary.json')))['settings']
                for d in (plain, noisy)]
    assert 'keypoint_noise' not in settings[0]
    assert settings[1]['keypoint_noise'] == KeypointNoise().to_dict()
