"""The raw-pixel linear baseline: features, classifier, per-pair-kind accuracy and the tool."""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import signmae_mm  # noqa: F401  (compat fixes before mmaction)
from signmae_mm.demo import write_demo_dataset
from signmae_mm.evaluation import (VideoReadError, fit_pixel_baseline, per_class_top1,
                                   pixel_features)
from signmae_mm.structures import dump_annotation_list
from signmae_mm.testing import moving_square_frames, write_video

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / 'tools' / 'pixel_baseline.py'
#: 10 classes (all five fine-grained pairs) x 6 videos (4 train, 1 val, 1 test) of 16 frames.
DEMO = dict(num_classes=10, videos_per_class=6, num_frames=16, size=64, seed=0)


@pytest.fixture(scope='module')
def demo(tmp_path_factory):
    return write_demo_dataset(str(tmp_path_factory.mktemp('pixel_demo')), **DEMO)


@pytest.fixture(scope='module')
def demo_fit(demo):
    return fit_pixel_baseline(demo.ann_files['train'], demo.ann_files['test'], demo.video_prefix)


@pytest.fixture(scope='module')
def squares(tmp_path_factory):
    """An easy set a linear read-out of the pixels must solve: 4 classes (a red or a green
    square moving right or down), each video on its own random background; 4 train and 2 test
    videos per class."""
    root = tmp_path_factory.mktemp('pixel_squares')
    classes = [(d, c) for d in ('right', 'down') for c in ((0, 0, 255), (0, 255, 0))]
    lists = dict(train=[], test=[])
    for label, (direction, colour) in enumerate(classes):
        for i in range(6):
            split = 'train' if i < 4 else 'test'
            name = f'{split}/{label}_{i}.mp4'
            frames = moving_square_frames(16, 64, square=14, seed=100 * label + i,
                                          colour=colour, direction=direction)
            write_video(root / 'videos' / name, frames)
            lists[split].append(dict(filename=name, label=label))
    for split, entries in lists.items():
        dump_annotation_list(str(root / f'{split}.json'), entries,
                             dict(classes=[f'{d}_{c[1]}' for d, c in classes]))
    return root


def test_features_are_sampled_grey_frames_then_their_differences(tmp_path):
    # 32 frames, left half at level 20 + 6 t, right half at 230 - 6 t: the default clip spans
    # the video (frames 0, 2, ..., 30, as SampleFrames(16, 2, test_mode=True) samples them)
    t = np.arange(32)
    frames = np.zeros((32, 64, 64, 3), np.uint8)
    frames[:, :, :32] = (20 + 6 * t)[:, None, None, None]
    frames[:, :, 32:] = (230 - 6 * t)[:, None, None, None]
    video = str(write_video(tmp_path / 'ramp.mp4', frames))

    feat = pixel_features(video, num_frames=16, size=28)
    assert feat.dtype == np.float32 and feat.shape == ((2 * 16 - 1) * 28 * 28, )
    grey = feat[:16 * 784].reshape(16, 28, 28)
    diffs = feat[16 * 784:].reshape(15, 28, 28)
    np.testing.assert_array_equal(diffs, np.abs(np.diff(grey, axis=0)))
    sampled = np.arange(0, 32, 2)
    np.testing.assert_allclose(grey[:, :, :12].mean((1, 2)), (20 + 6 * sampled) / 255, atol=3 / 255)
    np.testing.assert_allclose(grey[:, :, -12:].mean((1, 2)), (230 - 6 * sampled) / 255,
                               atol=3 / 255)

    # a fixed interval of 1: the 16 frames in the middle (8 .. 23)
    grey = pixel_features(video, 16, 28, frame_interval=1)[:16 * 784].reshape(16, 28, 28)
    np.testing.assert_allclose(grey[:, :, :12].mean((1, 2)), (20 + 6 * np.arange(8, 24)) / 255,
                               atol=3 / 255)
    assert pixel_features(video, num_frames=4, size=8).shape == ((2 * 4 - 1) * 64, )


def test_frame_ranges_of_the_list_are_honoured(tmp_path):
    """A sign inside a longer recording: with the list's ``use_frame_range`` only its frames
    are sampled (SampleSignFrames), spread over the range; without it, the whole video."""
    t = np.arange(48)
    frames = np.zeros((48, 64, 64, 3), np.uint8)
    frames[:] = (10 + 5 * t)[:, None, None, None]
    write_video(tmp_path / 'videos' / 'long.mp4', frames)
    entry = dict(filename='long.mp4', label=0, frame_start=16, frame_end=40)
    for name, meta in (('ranged', dict(use_frame_range=True)), ('whole', {})):
        dump_annotation_list(str(tmp_path / f'{name}.json'), [entry, dict(entry, label=1)], meta)
    feat = pixel_features(str(tmp_path / 'videos' / 'long.mp4'), 8, 8, frame_range=(16, 40))
    grey = feat[:8 * 64].reshape(8, 8, 8).mean((1, 2))
    # 24 frames / 8 -> interval 3, centred in the range (SampleFrames' test offset of
    # (24 - 22) // 2 = 1): frames 17, 20, ..., 38
    np.testing.assert_allclose(grey, (10 + 5 * np.arange(17, 40, 3)) / 255, atol=4 / 255)
    whole = pixel_features(str(tmp_path / 'videos' / 'long.mp4'), 8, 8)
    np.testing.assert_allclose(whole[:8 * 64].reshape(8, 8, 8).mean((1, 2)),
                               (10 + 5 * np.arange(2, 48, 6)) / 255, atol=4 / 255)

    from signmae_mm.evaluation.pixel_baseline import _list_features
    x, _ = _list_features(str(tmp_path / 'ranged.json'), str(tmp_path / 'videos'), 8, 8, None,
                          None)
    np.testing.assert_array_equal(x[0], feat)
    x, _ = _list_features(str(tmp_path / 'whole.json'), str(tmp_path / 'videos'), 8, 8, None,
                          None)
    np.testing.assert_array_equal(x[0], whole)
    x, _ = _list_features(str(tmp_path / 'whole.json'), str(tmp_path / 'videos'), 8, 8, None,
                          True)  # the argument overrides the list
    np.testing.assert_array_equal(x[0], feat)
    with pytest.raises(VideoReadError, match=r'long.mp4.*frame range \[16, 60\)'):
        pixel_features(str(tmp_path / 'videos' / 'long.mp4'), 8, 8, frame_range=(16, 60))


def test_classifier_solves_an_easy_set_deterministically(squares):
    res = fit_pixel_baseline(str(squares / 'train.json'), str(squares / 'test.json'),
                             str(squares / 'videos'))
    assert res['acc/per_instance_top1'] == 1.0 and res['acc/per_class_top1'] == 1.0
    assert res['acc/per_instance_top5'] == 1.0 and res['acc/train_top1'] == 1.0
    assert (res['num_train'], res['num_test'], res['num_classes']) == (16, 8, 4)
    assert res['feature_dim'] == 31 * 28 * 28
    assert res['scores'].shape == (8, 4)
    np.testing.assert_allclose(res['scores'].sum(1), 1, rtol=1e-5)
    np.testing.assert_array_equal(res['labels'], np.repeat(np.arange(4), 2))
    assert not any('pair' in k for k in res)  # no vocabulary.json, no pairs given
    again = fit_pixel_baseline(str(squares / 'train.json'), str(squares / 'test.json'),
                               str(squares / 'videos'))
    np.testing.assert_array_equal(again['scores'], res['scores'])


def test_demo_set_fits_train_and_beats_chance_on_test(demo, demo_fit):
    # Over generator seeds 0-23 of this set (4 train / 1 test video per class): training
    # accuracy was always 100 %; test top-1 ranged 10 % (seed 13: chance) to 80 %, so top-1 on
    # 10 test videos is no safe claim; right_pair (chance 20 %) ranged 60 % to 100 %.
    res = demo_fit
    assert res['acc/train_top1'] == 1.0
    assert res['acc/right_pair'] >= 0.5
    assert res['num_test'] == 10 and res['num_classes'] == 10
    assert set(res) >= {'acc/per_instance_top1', 'acc/per_instance_top5', 'acc/per_class_top1',
                        'acc/shape_pairs_top1', 'acc/motion_pairs_top1', 'acc/right_pair'}
    assert res['acc/per_class_top1'] == pytest.approx(per_class_top1(res['scores'],
                                                                     res['labels']))
    assert res['acc/per_instance_top5'] >= res['acc/per_instance_top1']
    on_train = fit_pixel_baseline(demo.ann_files['train'], demo.ann_files['train'],
                                  demo.video_prefix)
    assert on_train['acc/per_instance_top1'] == 1.0 and on_train['num_test'] == 40


def test_missing_or_broken_video_is_named(squares, tmp_path):
    entries = json.loads((squares / 'test.json').read_text())['data_list']
    missing = tmp_path / 'missing.json'
    dump_annotation_list(str(missing), entries + [dict(filename='test/no_such_clip.mp4',
                                                       label=0)])
    with pytest.raises(FileNotFoundError, match='no_such_clip.mp4'):
        fit_pixel_baseline(str(squares / 'train.json'), str(missing), str(squares / 'videos'))
    (tmp_path / 'videos').mkdir()
    (tmp_path / 'videos' / 'garbage.mp4').write_bytes(b'not a video' * 100)
    broken = tmp_path / 'broken.json'
    dump_annotation_list(str(broken), [dict(filename='garbage.mp4', label=0)])
    with pytest.raises(VideoReadError, match='garbage.mp4'):
        fit_pixel_baseline(str(broken), str(broken), str(tmp_path / 'videos'))


def test_tool_end_to_end(demo, demo_fit, squares, tmp_path):
    out = tmp_path / 'baseline.json'
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(ROOT)] + [p for p in os.environ.get('PYTHONPATH', '').split(os.pathsep) if p]))
    proc = subprocess.run(
        [sys.executable, str(TOOL), demo.ann_files['train'], demo.ann_files['test'],
         '--video-prefix', demo.video_prefix, '--out', str(out)],
        capture_output=True, text=True, env=env, cwd=str(ROOT), timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert 'acc/per_instance_top1' in proc.stdout and 'acc/motion_pairs_top1' in proc.stdout
    res = json.loads(out.read_text())
    assert 'scores' not in res and 'labels' not in res
    for key, value in demo_fit.items():
        if key.startswith('acc/'):
            assert res[key] == pytest.approx(value, abs=1e-6), key
    assert res['num_test'] == 10 and res['settings']['num_frames'] == 16

    # --save-scores, and a clear error with exit status 1
    out = tmp_path / 'squares.json'
    args = [str(squares / 'train.json'), str(squares / 'test.json'), '--video-prefix']
    proc = subprocess.run([sys.executable, str(TOOL), *args, str(squares / 'videos'), '--out',
                           str(out), '--save-scores'], capture_output=True, text=True, env=env,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    res = json.loads(out.read_text())
    assert np.asarray(res['scores']).shape == (8, 4) and len(res['labels']) == 8
    proc = subprocess.run([sys.executable, str(TOOL), *args, str(tmp_path)],
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 1 and 'pixel_baseline: error:' in proc.stderr
