"""The raw-pixel linear baseline: features, classifier, per-pair-kind accuracy and the tool."""
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import signmae_mm  # noqa: F401  (compat fixes before mmaction)
from signmae_mm.datasets import dump_annotation_list
from signmae_mm.demo import write_demo_dataset
from signmae_mm.evaluation import (VideoReadError, classify_features, fit_pixel_baseline,
                                   pair_kind_accuracy, per_class_top1, pixel_features)
from signmae_mm.testing import moving_square_frames, write_video

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / 'tools' / 'pixel_baseline.py'
#: 10 classes (all five fine-grained pairs) x 6 videos (4 train, 1 val, 1 test) of 16 frames.
DEMO = dict(num_classes=10, videos_per_class=6, num_frames=16, size=64, seed=0)


def _tool():
    spec = importlib.util.spec_from_file_location('pixel_baseline_tool', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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


def test_pair_kind_accuracy_by_hand():
    classes = ['a0', 'a1', 'b0', 'b1', 'c', 'd']
    labels = np.array([0, 0, 1, 2, 2, 3, 4, 5])
    preds = np.array([0, 1, 1, 3, 2, 0, 4, 0])
    scores = np.full((8, 6), 0.1)
    scores[np.arange(8), preds] = 1.0
    pairs = [('shape', 0, 1), ('motion', 2, 3)]
    expected = {
        # labels 0, 0, 1 -> preds 0, 1, 1: 2 of 3 right
        'acc/shape_pairs_top1': 2 / 3,
        # labels 2, 2, 3 -> preds 3, 2, 0: 1 of 3 right
        'acc/motion_pairs_top1': 1 / 3,
        # the 6 paired samples: all but the last (3 -> 0) land in their pair; 4, 5 unpaired
        'acc/right_pair': 5 / 6,
    }
    assert pair_kind_accuracy(scores, labels, pairs) == pytest.approx(expected)
    as_vocabulary = [dict(kind='shape', first='a0', second='a1'),
                     dict(kind='motion', first='b0', second='b1')]
    assert pair_kind_accuracy(scores, labels, as_vocabulary, classes) == pytest.approx(expected)
    assert pair_kind_accuracy(scores, labels, pairs, prefix='m') == pytest.approx(
        {k.replace('acc/', 'm/'): v for k, v in expected.items()})
    # a kind whose classes have no sample is left out
    assert 'acc/shape_pairs_top1' not in pair_kind_accuracy(scores[3:], labels[3:], pairs)
    with pytest.raises(ValueError, match="'zz'"):
        pair_kind_accuracy(scores, labels, [('shape', 'a0', 'zz')], classes)
    with pytest.raises(ValueError, match='outside'):
        pair_kind_accuracy(scores, labels, [('shape', 0, 6)])


def test_classify_features_on_any_features(demo):
    # well separated Gaussian blobs of 10 classes; the pairs come from the demo vocabulary
    rng = np.random.default_rng(0)
    means = 3 * rng.standard_normal((10, 32))
    y_train, y_test = np.repeat(np.arange(10), 5), np.repeat(np.arange(10), 2)
    x_train = means[y_train] + rng.standard_normal((50, 32))
    x_test = means[y_test] + rng.standard_normal((20, 32))
    res = classify_features(x_train, y_train, x_test, y_test,
                            ann_files=[demo.ann_files['test']])
    assert res['acc/per_instance_top1'] == 1.0 and res['acc/right_pair'] == 1.0
    assert res['acc/shape_pairs_top1'] == 1.0 and res['acc/motion_pairs_top1'] == 1.0
    assert (res['num_train'], res['num_test'], res['feature_dim']) == (50, 20, 32)
    assert set(res['seconds']) == {'fit'}
    assert 'acc/right_pair' not in classify_features(x_train, y_train, x_test, y_test)
    with pytest.raises(ValueError, match='features'):
        classify_features(x_train, y_train, x_test[:, :8], y_test)


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

    # in process: --save-scores, and a clear error with exit status 1
    tool = _tool()
    out = tmp_path / 'squares.json'
    assert tool.main([str(squares / 'train.json'), str(squares / 'test.json'), '--video-prefix',
                      str(squares / 'videos'), '--out', str(out), '--save-scores']) == 0
    res = json.loads(out.read_text())
    assert np.asarray(res['scores']).shape == (8, 4) and len(res['labels']) == 8
    assert tool.main([str(squares / 'train.json'), str(squares / 'test.json'),
                      '--video-prefix', str(tmp_path)]) == 1
