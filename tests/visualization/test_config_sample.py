"""A config's own train pipeline, changed consistently and run seeded on one sample."""
from pathlib import Path

import numpy as np
import pytest
from mmaction.registry import TRANSFORMS
from mmengine.config import Config
from mmengine.registry import init_default_scope

import signmae_mm  # noqa: F401  (registers our transforms)
from signmae_mm.visualization import override_pipeline, run_transforms, sample_transforms

REPO = Path(__file__).resolve().parents[2]
PRETRAIN = REPO / 'configs' / 'signmae_pretrain.py'


def _by_type(pipeline, kind):
    return [t for t in pipeline if t['type'] == kind]


def test_override_changes_the_clip_and_the_mask_together():
    pipeline = Config.fromfile(str(PRETRAIN)).train_dataloader.dataset.pipeline
    before = [dict(t) for t in pipeline]
    out = override_pipeline(pipeline, mask='tube', ratio=0.5, clip_len=8, frame_interval=1,
                            input_size=64, patch_size=8)
    assert [dict(t) for t in pipeline] == before  # the config is left alone
    sampler = [t for t in out if t['type'] in ('SampleFrames', 'SampleSignFrames')][0]
    assert (sampler['clip_len'], sampler['frame_interval']) == (8, 1)
    assert [t['input_size'] for t in _by_type(out, 'MultiScaleCrop')] == [64]
    assert [tuple(t['scale']) for t in _by_type(out, 'Resize')] == [(64, 64)]
    mask, = _by_type(out, 'TubeMask')
    assert (mask['ratio'], mask['patch_size'], tuple(mask['input_size'])) == (0.5, 8, (8, 64, 64))
    assert mask['tubelet_size'] == 2  # not given: the config's
    # the hand-arm mask's own arguments (visible_slots, ...) are not the tube mask's: dropped
    assert set(mask) == {'type', 'ratio', 'tubelet_size', 'patch_size', 'input_size'}
    assert type(TRANSFORMS.build(mask)).__name__ == 'TubeMask'
    assert override_pipeline(pipeline) == [dict(t) for t in pipeline]
    with pytest.raises(ValueError, match='no token mask'):
        override_pipeline([dict(type='DecordInit')], ratio=0.5)


def test_a_dataset_sample_runs_seeded_up_to_format_shape(demo):
    cfg = Config.fromfile(str(PRETRAIN))
    cfg.merge_from_dict({
        'train_dataloader.dataset.ann_file': demo.ann_files['train'],
        'train_dataloader.dataset.data_prefix.video': demo.video_prefix,
        'train_dataloader.dataset.data_prefix.sign_ann': demo.sign_ann_prefix})
    cfg.train_dataloader.dataset.pipeline = override_pipeline(
        cfg.train_dataloader.dataset.pipeline, clip_len=8, frame_interval=2, input_size=64)
    init_default_scope('mmaction')
    info, transforms = sample_transforms(cfg, index=1)
    assert info['filename'].endswith('.mp4') and 'sign_ann' in info
    runs = [run_transforms(transforms, dict(info), seed, stop_before=('FormatShape', 'Pack'))
            for seed in (3, 3, 4)]
    (first, _, masker), (again, _, _), (other, _, _) = runs
    assert type(masker).__name__ == 'SegmentGuidedHandMask'
    assert np.asarray(first['imgs']).shape == (8, 64, 64, 3)  # not formatted yet
    np.testing.assert_array_equal(first['mask'], again['mask'])
    np.testing.assert_array_equal(first['imgs'], again['imgs'])
    assert not np.array_equal(first['mask'], other['mask'])
    with pytest.raises(IndexError, match='--index 5 outside the 2 samples'):
        sample_transforms(cfg, index=5)
