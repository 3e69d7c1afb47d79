"""SignVideoDataset: the list file, its checks against the videos, the full pipeline."""
import numpy as np
import pytest
import torch
from _sign_clips import H, W
from mmaction.registry import DATASETS
from mmengine.registry import DefaultScope

from signmae_mm.datasets import HAND_MOTION_META_KEYS, MASK_META_KEYS
from signmae_mm.structures import SignAnnotationError, dump_annotation_list

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


# A pipeline that samples inside frame ranges and loads the clip's annotation (no decoding).
RANGE_PIPELINE = [
    dict(type='DecordInit'),
    dict(type='SampleSignFrames', clip_len=4, frame_interval=1, num_clips=1),
    dict(type='LoadSignAnnotation'),
]


def _ranged_list(tmp_path, entries, **metainfo):
    return dump_annotation_list(str(tmp_path / 'ranged.json'), entries, metainfo)


def test_frame_range_follows_the_list_metainfo(make_sign_sample, data_prefix, tmp_path):
    sample = make_sign_sample('v0')
    ranged = dict(sample['entry'], frame_start=4, frame_end=12)
    entries = [ranged, dict(sample['entry'], frame_start=6, frame_end=None), sample['entry']]
    # no use_frame_range in the metainfo: off, no frame_range, SampleFrames is fine
    ds = _dataset(_ranged_list(tmp_path, entries), data_prefix)
    assert ds.use_frame_range is False and ds.metainfo['use_frame_range'] is False
    assert 'frame_range' not in ds.get_data_info(0) and ds.get_data_info(0)['frame_start'] == 4
    # on in the metainfo: ranges where the entry has them, sampled inside them
    ds = _dataset(_ranged_list(tmp_path, entries, use_frame_range=True), data_prefix,
                  pipeline=RANGE_PIPELINE)
    assert ds.use_frame_range is True
    ranges = [ds.get_data_info(i).get('frame_range') for i in range(3)]
    assert ranges == [(4, 12), (6, None), None]
    for seed in range(10):
        np.random.seed(seed)
        out = ds[0]
        inds = out['frame_inds']
        assert inds.min() >= 4 and inds.max() < 12 and out['total_frames'] == 16
        # the annotation follows: the keypoints are those of the sampled frames
        np.testing.assert_array_equal(out['sign_keypoints'],
                                      sample['arrays']['keypoints'][inds])


def test_use_frame_range_argument_overrides_the_metainfo(make_sign_sample, data_prefix,
                                                         tmp_path):
    entry = dict(make_sign_sample('v0')['entry'], frame_start=4, frame_end=12)
    ds = _dataset(_ranged_list(tmp_path, [entry], use_frame_range=True), data_prefix,
                  use_frame_range=False)  # SampleFrames accepted: whole videos
    assert ds.use_frame_range is False and 'frame_range' not in ds.get_data_info(0)
    ds = _dataset(_ranged_list(tmp_path, [dict(entry, frame_range=[0, 1])]), data_prefix,
                  use_frame_range=False)
    assert 'frame_range' not in ds.get_data_info(0)  # not even one the entry brought
    ds = _dataset(_ranged_list(tmp_path, [entry]), data_prefix, use_frame_range=True,
                  pipeline=RANGE_PIPELINE)
    assert ds.metainfo['use_frame_range'] is True
    assert ds.get_data_info(0)['frame_range'] == (4, 12)


def test_frame_range_needs_a_pipeline_that_honours_it(make_sign_sample, data_prefix, tmp_path):
    entry = dict(make_sign_sample('v0')['entry'], frame_start=4, frame_end=12)
    ann_file = _ranged_list(tmp_path, [entry], use_frame_range=True)
    with pytest.raises(ValueError, match=r"ranged.json\): use_frame_range is on .* replace "
                       r"dict\(type='SampleFrames', ...\) by dict\(type='SampleSignFrames'"):
        _dataset(ann_file, data_prefix)  # PRETRAIN_PIPELINE has SampleFrames
    with pytest.raises(ValueError, match='no pipeline transform honours frame ranges'):
        _dataset(_ranged_list(tmp_path, [entry]), data_prefix, use_frame_range=True)
    with pytest.raises(SignAnnotationError, match=r'entry 0 \(v0.mp4\): "frame_start" / '
                       r'"frame_end" must be ints'):
        _dataset(_ranged_list(tmp_path, [dict(entry, frame_start='4')], use_frame_range=True),
                 data_prefix, pipeline=RANGE_PIPELINE)
    # a range past the video: found by check_videos, or per sample as a data error
    bad = _ranged_list(tmp_path, [dict(entry, frame_end=30)], use_frame_range=True)
    with pytest.raises(SignAnnotationError, match=r'v0.mp4: frame range \[4, 30\) is not '
                       r"inside the video's 16 frames"):
        _dataset(bad, data_prefix, pipeline=RANGE_PIPELINE, check_videos=True)
    with pytest.raises(SignAnnotationError, match=r"\[4, 30\) is not inside the video's 16"):
        _dataset(bad, data_prefix, pipeline=RANGE_PIPELINE)[0]
