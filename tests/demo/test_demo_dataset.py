"""write_demo_dataset and tools/make_demo_data.py: balanced splits, byte-identical output from
the same seed, files that agree with themselves and load through SignVideoDataset and a real
mmaction2 pipeline."""
import json
import os.path as osp
import re
import runpy
from collections import Counter
from pathlib import Path

import decord
import numpy as np
import pytest
from _demo_checks import TINY, colour_mask, hand_agreement, near_colour
from mmaction.registry import DATASETS
from mmengine.registry import DefaultScope

from signmae_mm.datasets import HAND_MOTION_META_KEYS, MASK_META_KEYS
from signmae_mm.demo import SPLITS, VOCABULARY, render_clip, split_counts, write_demo_dataset
from signmae_mm.structures import load_annotation_list, load_sign_annotation

REPO = Path(__file__).resolve().parents[2]

TRAIN_PIPELINE = [
    dict(type='DecordInit'),
    dict(type='SampleFrames', clip_len=8, frame_interval=2, num_clips=1),
    dict(type='LoadSignAnnotation'),
    dict(type='HandMovementCheck'),
    dict(type='DecordDecode'),
    dict(type='RandomResizedCrop', area_range=(0.6, 1.0)),
    dict(type='Resize', scale=(112, 112), keep_ratio=False),
    dict(type='Flip', flip_ratio=0.5),
    dict(type='SegmentGuidedHandMask', ratio=0.75, input_size=(8, 112, 112)),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs', algorithm_keys=('mask', ),
         meta_keys=('filename', 'img_shape') + MASK_META_KEYS + HAND_MOTION_META_KEYS),
]
TEST_PIPELINE = [
    dict(type='DecordInit'),
    dict(type='SampleFrames', clip_len=8, frame_interval=2, num_clips=2, test_mode=True),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(-1, 128)),
    dict(type='CenterCrop', crop_size=112),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs'),
]


def _build(demo_set, split, pipeline, **kwargs):
    with DefaultScope.overwrite_default_scope('mmaction'):
        return DATASETS.build(
            dict(type='SignVideoDataset', ann_file=demo_set.ann_files[split],
                 data_prefix=dict(video=demo_set.video_prefix, sign_ann=demo_set.sign_ann_prefix),
                 pipeline=pipeline, num_classes=len(demo_set.classes), **kwargs))


def _decode(path: str) -> np.ndarray:
    reader = decord.VideoReader(path, num_threads=1)
    return reader.get_batch(list(range(len(reader)))).asnumpy()  # RGB


def test_split_counts_are_balanced_and_complete():
    assert split_counts(24) == dict(train=16, val=4, test=4)
    assert split_counts(3) == dict(train=1, val=1, test=1)
    assert split_counts(2) == dict(train=2, val=0, test=0)
    assert split_counts(10, 0.1, 0.2) == dict(train=7, val=1, test=2)
    for n in range(1, 40):
        c = split_counts(n)
        assert sum(c.values()) == n and c['train'] >= 1
    with pytest.raises(ValueError):
        split_counts(5, 0.5, 0.5)


def test_lists_are_balanced_and_name_existing_files(demo_set):
    want = split_counts(TINY['videos_per_class'])
    assert demo_set.counts == {s: want[s] * TINY['num_classes'] for s in SPLITS}
    assert demo_set.classes == [s.name for s in VOCABULARY[:TINY['num_classes']]]
    seen = set()
    for split in SPLITS:
        meta, entries = load_annotation_list(demo_set.ann_files[split])
        assert meta['classes'] == demo_set.classes
        assert meta['keypoint_layout'] == 'coco_wholebody_133'
        assert Counter(e['label'] for e in entries) == {c: want[split] for c in range(4)}
        for e in entries:
            assert e['filename'] not in seen  # no video in two splits
            seen.add(e['filename'])
            assert demo_set.classes[e['label']] == e['sign'] and e['split'] == split
            assert osp.isfile(osp.join(demo_set.video_prefix, e['filename']))
            assert osp.isfile(osp.join(demo_set.sign_ann_prefix, e['sign_ann']))
            assert e['total_frames'] == 16 and e['img_shape'] == [112, 112]
    vocab = json.loads(Path(demo_set.root, 'vocabulary.json').read_text())
    assert [p['kind'] for p in vocab['pairs']] == ['shape', 'motion']


def test_same_seed_same_bytes(tmp_path, demo_set):
    kwargs = dict(num_classes=2, videos_per_class=3, num_frames=8, size=64)
    a = write_demo_dataset(str(tmp_path / 'a'), seed=5, **kwargs)
    b = write_demo_dataset(str(tmp_path / 'b'), seed=5, workers=2, **kwargs)
    c = write_demo_dataset(str(tmp_path / 'c'), seed=6, **kwargs)
    names = sorted(p.relative_to(a.root) for p in Path(a.root).rglob('*') if p.is_file())
    assert len(names) == 2 * 3 * 2 + 4
    assert names == sorted(p.relative_to(b.root) for p in Path(b.root).rglob('*') if p.is_file())
    for name in names:
        if name.suffix == '.npz':
            with np.load(Path(a.root, name)) as x, np.load(Path(b.root, name)) as y:
                assert x.files == y.files
                for key in x.files:
                    assert x[key].dtype == y[key].dtype and x[key].tobytes() == y[key].tobytes()
        elif name.suffix == '.mp4':
            frames_a, frames_b = (_decode(str(Path(d, name))) for d in (a.root, b.root))
            assert np.array_equal(frames_a, frames_b)
        else:
            assert Path(a.root, name).read_bytes() == Path(b.root, name).read_bytes()
    # another seed: other videos
    first = 'videos/train/00_chin_out_flat_000.mp4'
    assert not np.array_equal(_decode(osp.join(a.root, first)), _decode(osp.join(c.root, first)))
    # a smaller set written over a bigger one leaves none of the bigger one's clips behind
    write_demo_dataset(str(tmp_path / 'a'), seed=5, num_classes=2, videos_per_class=1,
                       num_frames=8, size=64)
    assert len(list(Path(a.root, 'videos').rglob('*.mp4'))) == 2


def test_decoded_videos_agree_with_their_annotations(demo_set):
    _, entries = load_annotation_list(demo_set.ann_files['test'])
    for e in entries:
        frames = _decode(osp.join(demo_set.video_prefix, e['filename']))
        ann = load_sign_annotation(osp.join(demo_set.sign_ann_prefix, e['sign_ann']),
                                   total_frames=len(frames), img_shape=frames.shape[1:3])
        assert ann['part_map_source'] == 'demo_renderer'
        # the hand colour, read back from the same seed (RGB from decord)
        look = render_clip(VOCABULARY[e['label']], e['seed'], num_frames=1, size=112).appearance
        colours = [c[::-1] for c in look.hand_colours]
        stats = hand_agreement(frames, ann['part_maps'], colours, 30)  # mp4 compression
        assert stats['outside'] < 0.01 and 0.6 < stats['ratio'] < 1.2, (e['filename'], stats)
        is_hand = colour_mask(frames, colours, 30)
        hits = np.concatenate([
            near_colour(is_hand[t], ann['keypoints'][t, 112:133], radius=1)
            for t in range(len(frames))])
        assert hits.mean() > 0.9, e['filename']


def test_sets_load_through_sign_video_dataset_and_mmaction_pipelines(demo_set):
    train = _build(demo_set, 'train', TRAIN_PIPELINE, check_videos=True)
    assert len(train) == demo_set.counts['train'] and train.metainfo['classes'] == demo_set.classes
    moving = []
    for i in range(len(train)):
        out = train[i]
        sample = out['data_samples']
        assert out['inputs'].shape == (1, 3, 8, 112, 112)
        assert sample.mask.shape == (4 * 7 * 7, ) and sample.mask.sum() == round(0.75 * 196)
        assert sample.mask_type == 'hand_arm' and sample.mask_fallback is False
        assert int(sample.gt_label) == train.get_data_info(i)['label']
        moving.append(sample.hand_moving)
    assert np.mean(moving) >= 0.75  # every sign moves the hands; a short clip may catch a hold
    test = _build(demo_set, 'test', TEST_PIPELINE, test_mode=True, check_videos=True)
    out = test[0]
    assert out['inputs'].shape == (2, 3, 8, 112, 112)


def test_cli_writes_and_reports(tmp_path, capsys, monkeypatch):
    out = tmp_path / 'cli'
    monkeypatch.setattr('sys.argv', [
        'make_demo_data.py', str(out), '--num-classes', '2', '--videos-per-class', '3',
        '--num-frames', '8', '--size', '64', '--workers', '1', '--seed', '1'])
    runpy.run_path(str(REPO / 'tools' / 'make_demo_data.py'), run_name='__main__')
    printed = capsys.readouterr().out
    assert 'wrote 6 videos of 8 frames at 64 px, 2 classes' in printed
    assert re.search(rf'train: +2 videos +{re.escape(str(out))}/train.json', printed)
    assert 'chin_out_flat, chin_out_open5' in printed
    assert sorted(p.name for p in out.glob('*.json')) == [
        'test.json', 'train.json', 'val.json', 'vocabulary.json']
    assert len(list(out.rglob('*.mp4'))) == len(list(out.rglob('*.npz'))) == 6
