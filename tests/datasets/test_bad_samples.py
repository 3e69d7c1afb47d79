"""Bad data during training: SignVideoDataset(max_bad_ratio=...) logs, skips, counts and stops;
test mode never skips; programming errors are never swallowed."""
import logging

import numpy as np
import pytest
from mmaction.registry import DATASETS
from mmengine.logging import MMLogger
from mmengine.registry import DefaultScope

from signmae_mm.datasets import BadSampleLimitError, SeededIndex
from signmae_mm.structures import SignAnnotationError

PIPELINE = [
    dict(type='DecordInit'),
    dict(type='SampleFrames', clip_len=8, frame_interval=2, num_clips=1),
    dict(type='LoadSignAnnotation'),
    dict(type='CheckSignKeypoints'),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(32, 32), keep_ratio=False),
    dict(type='SegmentGuidedHandMask', ratio=0.75, tubelet_size=2, patch_size=8,
         input_size=(8, 32, 32)),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs', algorithm_keys=('mask', ), meta_keys=('filename', )),
]


def _dataset(ann_file, data_prefix, pipeline=PIPELINE, **kwargs):
    with DefaultScope.overwrite_default_scope('mmaction'):
        return DATASETS.build(
            dict(type='SignVideoDataset', ann_file=str(ann_file), data_prefix=data_prefix,
                 pipeline=pipeline, **kwargs))


@pytest.fixture
def mixed_set(make_sign_sample, write_list, tmp_path):
    """3 good clips and the 3 kinds of bad sample: a corrupt mp4, a frame-count mismatch
    between the list and the annotation, and all keypoint scores 0."""
    good = [make_sign_sample(f'good{i}', seed=i) for i in range(3)]
    corrupt = make_sign_sample('corrupt')
    rng = np.random.default_rng(0)
    corrupt['video'].write_bytes(rng.integers(0, 256, 4096, dtype=np.uint8).tobytes())
    mismatch = make_sign_sample('mismatch')
    blind = make_sign_sample('blind', keypoint_scores=np.zeros((16, 133), np.float32))
    entries = [s['entry'] for s in good] + [
        corrupt['entry'], dict(mismatch['entry'], total_frames=15), blind['entry']]
    return write_list(entries), dict(good=[str(s['video']) for s in good])


def test_bad_samples_skipped_logged_and_counted(mixed_set, data_prefix, caplog):
    ann_file, names = mixed_set
    ds = _dataset(ann_file, data_prefix, max_bad_ratio=0.9, min_bad_count=100)
    logger = MMLogger.get_current_instance()
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger.addHandler(handler)
    try:
        for idx in (3, 4, 5):
            out = ds[SeededIndex(idx, seed=1, epoch=0)]
            # another sample was drawn in its place, and it is a good one
            assert out['data_samples'].metainfo['filename'] in names['good']
    finally:
        logger.removeHandler(handler)
    assert ds.num_bad >= 3
    reasons = dict(ds.bad_samples)
    assert any(n.endswith('corrupt.mp4') and 'Error reading' in r for n, r in reasons.items())
    assert any(n.endswith('mismatch.mp4') and 'the annotation list says 15' in r
               for n, r in reasons.items())
    assert any(n.endswith('blind.mp4') and 'no usable keypoints' in r for n, r in reasons.items())
    messages = [r.getMessage() for r in records if r.levelno == logging.WARNING]
    assert any('skipping bad sample 3' in m and 'corrupt.mp4' in m for m in messages), messages


def test_too_many_bad_samples_fail_naming_limit_and_files(mixed_set, data_prefix):
    ann_file, _ = mixed_set
    ds = _dataset(ann_file, data_prefix, max_bad_ratio=0.1, min_bad_count=3)
    np.random.seed(0)
    with pytest.raises(BadSampleLimitError) as info:
        for idx in (3, 4, 5, 3, 4, 5):
            ds[idx]
    message = str(info.value)
    assert 'max_bad_ratio=0.1' in message and 'min_bad_count=3' in message
    assert '3 of 3 samples loaded by this process were bad' in message  # 3 good ones left
    listed = message.split('First bad samples:\n')[1].splitlines()
    assert len(listed) == 3
    assert all(any(f'{name}.mp4: ' in line for name in ('corrupt', 'mismatch', 'blind'))
               for line in listed), listed


def test_test_mode_and_default_raise_at_once(mixed_set, data_prefix):
    ann_file, _ = mixed_set
    test = _dataset(ann_file, data_prefix, test_mode=True, max_bad_ratio=0.5)
    with pytest.raises(SignAnnotationError, match='the annotation list says 15') as info:
        test[4]
    assert any('mismatch.mp4' in note for note in info.value.__notes__)
    with pytest.raises(SignAnnotationError, match='no usable keypoints'):
        test[5]
    strict = _dataset(ann_file, data_prefix)  # max_bad_ratio=None: nothing skipped
    with pytest.raises(SignAnnotationError, match='no usable keypoints'):
        strict[5]


def test_programming_errors_are_not_swallowed(mixed_set, data_prefix):
    ann_file, _ = mixed_set
    broken = PIPELINE[:4] + [dict(type='Resize', scale='not a scale')] + PIPELINE[5:]
    with pytest.raises(TypeError):
        ds = _dataset(ann_file, data_prefix, pipeline=broken, max_bad_ratio=0.9)
        ds[0]
