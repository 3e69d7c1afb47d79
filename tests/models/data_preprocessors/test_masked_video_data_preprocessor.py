"""MaskedVideoDataPreprocessor stacks the packed masks, once, on the inputs' device."""
import numpy as np
import pytest
import torch
from mmaction.registry import MODELS, TRANSFORMS
from mmengine.dataset import Compose, pseudo_collate

import signmae_mm  # noqa: F401

PREPROCESS = dict(mean=[114.75, 114.75, 114.75], std=[57.375, 57.375, 57.375],
                  format_shape='NCTHW')


def _batch(videos, mask=dict(type='TubeMask', ratio=0.75, tubelet_size=2, patch_size=16)):
    cfgs = [
        dict(type='DecordInit'),
        dict(type='SampleFrames', clip_len=8, frame_interval=1, num_clips=1),
        dict(type='DecordDecode'),
        dict(type='Resize', scale=(64, 64), keep_ratio=False),
    ] + ([mask] if mask else []) + [
        dict(type='FormatShape', input_format='NCTHW'),
        dict(type='PackActionInputs', algorithm_keys=('mask', ),
             meta_keys=('filename', 'mask_type')),
    ]
    pipeline = Compose([TRANSFORMS.build(c) for c in cfgs])
    return pseudo_collate([
        pipeline(dict(filename=str(v), label=0, modality='RGB', start_index=0)) for v in videos
    ])


@pytest.fixture
def videos(make_video):
    return [make_video(f'v{i}.mp4', num_frames=8, size=64, seed=i) for i in range(3)]


def test_masks_are_stacked_on_the_inputs_device(videos):
    data = _batch(videos)
    ours = MODELS.build(dict(type='MaskedVideoDataPreprocessor', **PREPROCESS))
    stock = MODELS.build(dict(type='ActionDataPreprocessor', **PREPROCESS))
    out = ours(data)
    ref = stock(_batch(videos, mask=None))
    assert set(out) == {'inputs', 'data_samples', 'masks'}
    assert out['inputs'].shape == (3, 1, 3, 8, 64, 64)
    torch.testing.assert_close(out['inputs'], ref['inputs'])
    masks = out['masks']
    assert masks.dtype == torch.bool and masks.shape == (3, 4 * 4 * 4)
    assert masks.device == out['inputs'].device
    for row, sample in zip(masks, out['data_samples']):
        assert torch.equal(row, torch.from_numpy(sample.mask))
        assert row.sum() == 4 * int(0.75 * 16)


def test_without_masks_it_is_action_data_preprocessor(videos):
    ours = MODELS.build(dict(type='MaskedVideoDataPreprocessor', **PREPROCESS))
    stock = MODELS.build(dict(type='ActionDataPreprocessor', **PREPROCESS))
    out, ref = ours(_batch(videos, mask=None)), stock(_batch(videos, mask=None))
    assert set(out) == set(ref) == {'inputs', 'data_samples'}
    torch.testing.assert_close(out['inputs'], ref['inputs'])


def test_masks_that_cannot_be_stacked_are_refused(videos):
    ours = MODELS.build(dict(type='MaskedVideoDataPreprocessor', **PREPROCESS))
    data = _batch(videos)
    data['data_samples'][1].mask = data['data_samples'][1].mask[:-1]
    with pytest.raises(ValueError, match=r'masks of different lengths in one batch: \[64, 63, 64'):
        ours(data)
    data = _batch(videos)
    del data['data_samples'][2].mask
    with pytest.raises(ValueError, match=r'some samples of the batch have no "mask": \[.sample 2 '
                       r'\(.*v2.mp4\)'):
        ours(data)
    # What the masks must be for the model is checked by the model, once
    # (tests/models/recognizers/test_video_mae_pretrainer.py): here they are only stacked.
    data = _batch(videos)
    data['data_samples'][0].mask = data['data_samples'][0].mask.astype(np.uint8)
    assert ours(data)['masks'].dtype == torch.uint8


def test_the_grid_arguments_of_old_configs_still_build(videos):
    with pytest.warns(UserWarning, match='tubelet_size and patch_size are no longer used'):
        old = MODELS.build(dict(type='MaskedVideoDataPreprocessor', tubelet_size=2,
                                patch_size=16, **PREPROCESS))
    assert old(_batch(videos))['masks'].shape == (3, 64)
