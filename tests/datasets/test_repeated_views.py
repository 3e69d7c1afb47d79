"""Repeated views: one decoding, several crops / flips / masks, each mask from its own view."""
import numpy as np
import pytest
import torch
from mmaction.registry import DATASETS, MODELS, TRANSFORMS
from mmengine.registry import DefaultScope

from signmae_mm.datasets import (MASK_META_KEYS, SeededIndex, flatten_views_collate,
                                 prepare_repeated_views)
from signmae_mm.datasets.repeated_views import views_need_frame_copies

PIPELINE = [
    dict(type='DecordInit'),
    dict(type='SampleSignFrames', clip_len=8, frame_interval=2, num_clips=1),
    dict(type='LoadSignAnnotation'),
    dict(type='DecordDecode'),
    dict(type='MultiScaleCrop', input_size=64, scales=(1, 0.875, 0.75), random_crop=False,
         max_wh_scale_gap=1),
    dict(type='Resize', scale=(64, 64), keep_ratio=False),
    dict(type='Flip', flip_ratio=0.5),
    dict(type='SegmentGuidedHandMask', ratio=0.75, tubelet_size=2, patch_size=16,
         input_size=(8, 64, 64)),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs', algorithm_keys=('mask', ),
         meta_keys=('filename', 'img_shape', 'crop_bbox', 'flip', 'frame_inds') +
         MASK_META_KEYS),
]


class CountingDecode:
    """The real DecordDecode, counting its calls."""

    def __init__(self):
        self.decode = TRANSFORMS.build(dict(type='DecordDecode'))
        self.calls = 0

    def __call__(self, results):
        self.calls += 1
        return self.decode(results)


def _dataset(ann_file, data_prefix, **kwargs):
    with DefaultScope.overwrite_default_scope('mmaction'):
        return DATASETS.build(dict(type='SignVideoDataset', ann_file=str(ann_file),
                                   data_prefix=data_prefix, pipeline=PIPELINE, **kwargs))


@pytest.fixture
def dataset(make_sign_sample, write_list, data_prefix):
    samples = [make_sign_sample(f'v{i}', seed=i, label=i) for i in range(2)]
    return _dataset(write_list([s['entry'] for s in samples]), data_prefix, num_repeats=4)


def test_views_share_one_decoding_and_have_their_own_crop_flip_and_mask(dataset):
    counter = CountingDecode()
    transforms = dataset.pipeline.transforms
    transforms[3] = counter
    views = dataset[SeededIndex(0, seed=5, epoch=0)]
    assert counter.calls == 1 and isinstance(views, list) and len(views) == 4
    samples = [v['data_samples'] for v in views]
    assert all(np.array_equal(s.frame_inds, samples[0].frame_inds) for s in samples)
    assert len({(tuple(s.crop_bbox), s.flip) for s in samples}) > 1
    # each view's mask is the hand-arm mask of its own crop: recompute it from that view
    masks = [s.mask for s in samples]
    assert all(m.shape == (64, ) and m.sum() == 48 for m in masks)
    assert len({m.tobytes() for m in masks}) > 1
    for s in samples:
        assert s.mask_type == 'hand_arm' and s.mask_fallback is False

    # the same seeded index gives the same views (exact resume), another seed others
    again = dataset[SeededIndex(0, seed=5, epoch=0)]
    for a, b in zip(views, again):
        assert torch.equal(a['inputs'], b['inputs'])
        assert np.array_equal(a['data_samples'].mask, b['data_samples'].mask)
    other = dataset[SeededIndex(0, seed=6, epoch=0)]
    assert any(not torch.equal(a['inputs'], b['inputs']) for a, b in zip(views, other))


def test_views_do_not_share_frames_that_a_transform_changes_in_place(make_sign_sample):
    """mmaction2's Flip flips the arrays it is given: each view must flip its own copy."""
    sample = make_sign_sample('v0')
    with DefaultScope.overwrite_default_scope('mmaction'):
        transforms = [TRANSFORMS.build(t) for t in (
            dict(type='DecordInit'),
            dict(type='SampleFrames', clip_len=4, num_clips=1, test_mode=True),
            dict(type='DecordDecode'), dict(type='Flip', flip_ratio=1.0))]
    info = dict(filename=str(sample['video']), start_index=0, modality='RGB')
    views = prepare_repeated_views(transforms, dict(info), 2)
    once = dict(info)
    for t in transforms[:3]:
        once = t(once)
    flipped = [img[:, ::-1] for img in once['imgs']]
    for view in views:
        assert all(np.array_equal(a, b) for a, b in zip(view['imgs'], flipped))


class Unknown:
    """A transform the views cannot know to be harmless (it does nothing)."""

    def __call__(self, results):
        return results


def test_frames_are_copied_only_when_something_may_write_into_them(dataset):
    with DefaultScope.overwrite_default_scope('mmaction'):
        crop, resize, flip, lazy = (TRANSFORMS.build(t) for t in (
            PIPELINE[4], PIPELINE[5], PIPELINE[6], dict(PIPELINE[5], lazy=True)))
    assert not views_need_frame_copies([crop, resize, flip])
    assert views_need_frame_copies([crop, flip, resize])
    assert views_need_frame_copies([crop, lazy, flip])
    assert views_need_frame_copies([Unknown(), resize])

    # shared frames (crop -> resize -> flip) give exactly the views that copies give
    shared = dataset[SeededIndex(0, seed=3, epoch=0)]
    dataset.pipeline.transforms.insert(4, Unknown())  # after the decoder: now each view copies
    copied = dataset[SeededIndex(0, seed=3, epoch=0)]
    assert len(shared) == len(copied) == 4
    for a, b in zip(shared, copied):
        assert torch.equal(a['inputs'], b['inputs'])
        assert np.array_equal(a['data_samples'].mask, b['data_samples'].mask)


def test_collate_flattens_views_and_the_preprocessor_names_the_missing_collate(dataset):
    batch = flatten_views_collate([dataset[0], dataset[1]])
    assert len(batch['inputs']) == 8 and len(batch['data_samples']) == 8
    assert [int(s.gt_label) for s in batch['data_samples']] == [0] * 4 + [1] * 4
    single = flatten_views_collate([{'inputs': torch.zeros(1), 'data_samples': None}])
    assert len(single['inputs']) == 1
    with DefaultScope.overwrite_default_scope('mmaction'):
        preprocessor = MODELS.build(dict(type='MaskedVideoDataPreprocessor',
                                         format_shape='NCTHW'))
    from mmengine.dataset import pseudo_collate
    with pytest.raises(TypeError, match="collate_fn=dict\\(type='flatten_views_collate'\\)"):
        preprocessor(pseudo_collate([dataset[0], dataset[1]]), True)
    out = preprocessor(batch, True)
    assert out['inputs'].shape[0] == 8 and out['masks'].shape == (8, 64)


def test_repeats_are_for_training_only(make_sign_sample, write_list, data_prefix):
    ann = write_list([make_sign_sample('v0')['entry']])
    with pytest.raises(ValueError, match='num_repeats > 1 is for training'):
        _dataset(ann, data_prefix, num_repeats=2, test_mode=True)
    with pytest.raises(ValueError, match='num_repeats must be an int >= 1'):
        _dataset(ann, data_prefix, num_repeats=0)
    with pytest.raises(ValueError, match='decoder transform'):
        prepare_repeated_views([lambda r: r], {}, 2)
    with DefaultScope.overwrite_default_scope('mmaction'), pytest.raises(
            ValueError, match='decoder transform'):  # found when the dataset is built
        DATASETS.build(dict(type='SignVideoDataset', ann_file=str(ann), data_prefix=data_prefix,
                            pipeline=[dict(type='DecordInit')], num_repeats=2))
