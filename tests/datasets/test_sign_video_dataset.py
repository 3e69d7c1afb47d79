"""SignVideoDataset: the list file, its checks against the videos, the full pipeline."""
import numpy as np
import pytest
import torch
from _sign_clips import H, W
from mmaction.registry import DATASETS
from mmengine.registry import DefaultScope

from signmae_mm.datasets import HAND_MOTION_META_KEYS, MASK_META_KEYS, SignAnnotationError

PRETRAIN_PIPELINE = [
    dict(type='DecordInit'),
    dict(type='SampleFrames', clip_len=16, frame_interval=1, num_clips=1),
    dict(type='LoadSignAnnotation'),
    dict(type='HandMovementCheck', drop_static=True),
    dict(type='DecordDecode'),
    dict(type='RandomResizedCrop', area_range=(0.5, 1.0)),
    dict(type='Resize', scale=(64, 64), keep_ratio=False),
    dict(type='Flip', flip_ratio=0.5),
    dict(type='SegmentGuidedHandMask', ratio=0.75, tubelet_size=2, patch_size=16,
         input_size=(16, 64, 64)),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs', algorithm_keys=('mask', ),
         meta_keys=('filename', 'img_shape') + MASK_META_KEYS + HAND_MOTION_META_KEYS),
]


def _dataset(ann_file, data_prefix, **kwargs):
    # as under a config with default_scope='mmaction' (the dataset's Compose builds the pipeline)
    with DefaultScope.overwrite_default_scope('mmaction'):
        return DATASETS.build(
            dict(type='SignVideoDataset', ann_file=str(ann_file), data_prefix=data_prefix,
                 pipeline=kwargs.pop('pipeline', PRETRAIN_PIPELINE), **kwargs))


def test_dataset_reads_list_and_packs_masks(make_sign_sample, write_list, data_prefix):
    samples = [make_sign_sample(f'v{i}', seed=i, label=i) for i in range(2)]
    ds = _dataset(write_list([s['entry'] for s in samples]), data_prefix, num_classes=2)
    assert len(ds) == 2 and ds.metainfo['keypoint_layout'] == 'coco_wholebody_133'
    info = ds.get_data_info(1)
    assert info['filename'] == str(samples[1]['video']) and info['label'] == 1
    assert info['sign_ann'] == str(samples[1]['ann'])
    assert info['ann_total_frames'] == 16 and info['ann_img_shape'] == (H, W)
    assert 'total_frames' not in info and 'img_shape' not in info and info['test_mode'] is False
    out = ds[0]
    assert out['inputs'].shape == (1, 3, 16, 64, 64)
    sample = out['data_samples']
    assert sample.mask.dtype == np.bool_ and sample.mask.shape == (8 * 4 * 4, )
    assert sample.mask.sum() == 96 == sample.mask_num_masked  # round(0.75 * 128)
    assert sample.mask_type == 'hand_arm' and sample.mask_fallback is False
    assert sample.hand_moving is True and sample.hand_motion_valid is True
    assert sample.gt_label == torch.tensor([0])


def test_list_entry_errors_name_the_entry(make_sign_sample, write_list, data_prefix):
    entry = make_sign_sample('v0')['entry']
    cases = [
        (dict(entry, sign_ann=None), r'entry 0 \(v0.mp4\): "sign_ann" .* is missing'),
        (dict(entry, filename=''), r'entry 0: "filename" \(the video\) is missing'),
        (dict(entry, label='3'), r'entry 0 \(v0.mp4\): "label" must be an int'),
        (dict(entry, label=7), r'label 7 outside \[0, 2\)'),
        (dict(entry, img_shape=[96]), r'"img_shape" must be \[height, width\]'),
        (dict(entry, total_frames=0), r'"total_frames" must be a positive int'),
    ]
    for bad, message in cases:
        with pytest.raises(SignAnnotationError, match=message):
            _dataset(write_list([bad]), data_prefix, num_classes=2)


def test_check_videos_finds_mismatches(make_sign_sample, write_list, data_prefix):
    entry = make_sign_sample('v0')['entry']
    _dataset(write_list([entry]), data_prefix, check_videos=True)  # consistent: builds
    with pytest.raises(SignAnnotationError, match=r'v0.mp4: frame count mismatch: the '
                       r'annotation list says 20 frames, the video has 16'):
        _dataset(write_list([dict(entry, total_frames=20)]), data_prefix, check_videos=True)
    with pytest.raises(SignAnnotationError, match=r'v0.mp4: image size mismatch: the annotation '
                       r'list says \(96, 96\) \(h, w\), the video has \(96, 128\)'):
        _dataset(write_list([dict(entry, img_shape=[96, 96])]), data_prefix, check_videos=True)
    # the .npz disagrees with the video while the list agrees: found too
    sample = make_sign_sample('v1', img_shape=(120, 160))
    with pytest.raises(SignAnnotationError, match=r'v1.mp4 \(.*v1.npz\): image size mismatch'):
        _dataset(write_list([sample['entry']]), data_prefix, check_videos=True)


def test_mismatch_found_when_loading_a_sample(make_sign_sample, write_list, data_prefix):
    """Without check_videos the pipeline (LoadSignAnnotation, the mask) finds the mismatch."""
    arrays = make_sign_sample('v0')['arrays']
    short = {k: (v[:12] if isinstance(v, np.ndarray) else v) for k, v in arrays.items()}
    sample = make_sign_sample('v1', **short)  # annotation of 12 frames for a 16-frame video
    entry = dict(sample['entry'])
    del entry['total_frames']
    ds = _dataset(write_list([entry]), data_prefix)
    with pytest.raises(SignAnnotationError, match=r'v1.mp4 \(sign annotation .*v1.npz\): frame '
                       'count mismatch: the annotation has 12 frames, the video has 16'):
        ds[0]
    # frame size: LoadSignAnnotation runs before DecordDecode here, the mask checks it
    sample = make_sign_sample('v2', img_shape=(H * 2, W * 2))
    entry = dict(sample['entry'])
    del entry['img_shape']
    ds = _dataset(write_list([entry]), data_prefix)
    with pytest.raises(ValueError, match=r'v2.mp4: image size mismatch: the part maps are for '
                       r'\(192, 256\) \(h, w\) frames, the video has \(96, 128\)'):
        ds[0]
    # list and .npz disagree
    sample = make_sign_sample('v3')
    ds = _dataset(write_list([dict(sample['entry'], total_frames=15)]), data_prefix)
    with pytest.raises(SignAnnotationError, match='v3.mp4 .*the annotation list says 15, the '
                       '.npz has 16'):
        ds[0]
    # a missing .npz
    sample['ann'].unlink()
    with pytest.raises(SignAnnotationError, match=r'v3.mp4 .*v3.npz does not exist'):
        ds[0]


def test_static_clips_dropped_in_training_only(make_sign_sample, write_list, data_prefix):
    static = make_sign_sample('static', motion='static', label=0)
    moving = make_sign_sample('moving', label=1)
    ann_file = write_list([static['entry'], moving['entry']])
    train = _dataset(ann_file, data_prefix)
    for _ in range(3):  # the static video is never returned: another sample is drawn instead
        assert train[0]['data_samples'].metainfo['filename'] == str(moving['video'])
    test = _dataset(ann_file, data_prefix, test_mode=True)
    out = test[0]['data_samples']
    assert out.filename == str(static['video'])
    assert out.hand_moving is False and out.hand_motion_valid is True
