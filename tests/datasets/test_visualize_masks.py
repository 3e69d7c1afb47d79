"""tools/visualize_masks.py renders a real clip, its part maps and its mask."""
import importlib.util
from pathlib import Path

import cv2
import numpy as np

TOOL = Path(__file__).resolve().parents[2] / 'tools' / 'visualize_masks.py'


def _tool():
    spec = importlib.util.spec_from_file_location('visualize_masks', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_png_and_mp4_show_the_mask(make_sign_sample, tmp_path):
    sample = make_sign_sample('v')
    out, mp4 = tmp_path / 'm.png', tmp_path / 'm.mp4'
    results = _tool().main([
        '--video', str(sample['video']), '--sign-ann', str(sample['ann']), '--input-size', '64',
        '--patch-size', '8', '--frame-interval', '1', '--ratio', '0.5', '--out', str(out),
        '--mp4', str(mp4)
    ])
    png = cv2.imread(str(out))
    assert png.shape == (24 + 2 * 64, 8 * 64, 3)  # banner, overlay row, mask row; 8 slots
    assert results['mask'].sum() == 256 and results['mask_type'] == 'hand_arm'
    # second row, first column (time slot 0): masked tokens shaded, the others untouched
    mask = np.repeat(np.repeat(results['mask'].reshape(8, 8, 8)[0], 8, 0), 8, 1)
    shown = png[24 + 64:, :64, ::-1].astype(float)  # RGB
    frame0 = np.asarray(results['imgs'][0], dtype=float)
    expected = np.where(mask[..., None], frame0 * 0.25 + 40, frame0)
    off_grid = np.ones((64, 64), bool)
    off_grid[::8, :] = off_grid[:, ::8] = False  # grid lines drawn there
    assert np.abs(shown - expected)[off_grid].max() <= 1
    assert 0 < mask.mean() < 1
    assert cv2.VideoCapture(str(mp4)).get(cv2.CAP_PROP_FRAME_COUNT) == 16


def test_config_mode_uses_the_dataset_pipeline(make_sign_sample, write_list, data_prefix,
                                               tmp_path):
    sample = make_sign_sample('v')
    ann_file = write_list([sample['entry']])
    config = tmp_path / 'cfg.py'
    config.write_text('''
default_scope = 'mmaction'
train_pipeline = [
    dict(type='DecordInit'),
    dict(type='SampleFrames', clip_len=16, frame_interval=1, num_clips=1),
    dict(type='LoadSignAnnotation'),
    dict(type='DecordDecode'),
    dict(type='RandomResizedCrop', area_range=(0.5, 1.0), lazy=True),
    dict(type='Resize', scale=(64, 64), keep_ratio=False, lazy=True),
    dict(type='Flip', flip_ratio=0.5, lazy=True),
    dict(type='TubeMask', ratio=0.75, tubelet_size=2, patch_size=16, input_size=(16, 64, 64)),
    dict(type='Fuse'),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs', algorithm_keys=('mask', )),
]
train_dataloader = dict(dataset=dict(
    type='SignVideoDataset', ann_file='nowhere.json', pipeline=train_pipeline,
    data_prefix=dict(video='nowhere', sign_ann='nowhere')))
''')
    out = tmp_path / 'c.png'
    results = _tool().main([
        '--config', str(config), '--out', str(out), '--cfg-options',
        f'train_dataloader.dataset.ann_file={ann_file}',
        f'train_dataloader.dataset.data_prefix.video={data_prefix["video"]}',
        f'train_dataloader.dataset.data_prefix.sign_ann={data_prefix["sign_ann"]}'
    ])
    assert results['mask_type'] == 'tube'
    assert results['mask'].sum() == 8 * 12  # 8 time slots x int(0.75 * 16)
    assert cv2.imread(str(out)).shape == (24 + 2 * 64, 8 * 64, 3)
    assert 'lazy' not in results and len(results['imgs']) == 16  # ran up to FormatShape
