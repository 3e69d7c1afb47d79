# WLASL2000 as keypoint heatmaps (nla63-heatmaps.py) of the crop that an RGB clip of the same
# video gets (wlasl2000.py's `train_crop` / `val_crop`). Frames are not decoded: the annotation's
# frame size stands in for them (ImgShapeFromAnnotation). Flip swaps the left/right points.
# Test: 2 clips, centre crop (mmaction2's ThreeCrop moves no keypoints).
#
# Memory: a 63 x 16 x 112 x 112 float32 sample is 50 MB; batch and workers are set for that.
_base_ = ['./wlasl2000_video.py', './nla63-heatmaps.py']

# Flip pairs of the 63-point subset (positions within it): NLA_SLR_63_LEFT_KP / _RIGHT_KP of
# signmae_mm.datasets.transforms (tests check that these lists equal them).
left_kp = [1, 3, 5, 7, 9, 11, 12, 15, 17, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34,
           35, 36, 37, 38, 39, 40, 41]
right_kp = [2, 4, 6, 8, 10, 14, 13, 16, 19, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54,
            55, 56, 57, 58, 59, 60, 61, 62]

train_pipeline = [
    dict(type='DecordInit', **_base_.file_client_args), _base_.sample, *_base_.keypoints,
    dict(type='ImgShapeFromAnnotation'), *_base_.train_crop,
    dict(type='Flip', flip_ratio=0.5, left_kp=left_kp, right_kp=right_kp), _base_.heatmaps,
    dict(type='FormatShape', input_format='NCTHW_Heatmap'),
    dict(type='PackActionInputs')
]
val_pipeline = [
    dict(type='DecordInit', **_base_.file_client_args),
    dict(_base_.sample, test_mode=True), *_base_.keypoints,
    dict(type='ImgShapeFromAnnotation'), *_base_.val_crop, _base_.heatmaps,
    dict(type='FormatShape', input_format='NCTHW_Heatmap'),
    dict(type='PackActionInputs')
]
test_pipeline = [
    dict(t, num_clips=2) if t['type'] == 'SampleSignFrames' else t for t in val_pipeline
]

# The video loaders with 4 workers, the sign annotations and these pipelines; training samples
# are drawn by mmengine's DefaultSampler, and a bad sample is an error.
data_prefix = dict(video=_base_.data_root, sign_ann=_base_.sign_ann_root)
train_dataloader = dict(
    num_workers=4,
    sampler=dict(type='DefaultSampler'),
    dataset=dict(
        _delete_=True,
        type=_base_.dataset_type,
        ann_file=_base_.ann_file_train,
        data_prefix=data_prefix,
        pipeline=train_pipeline))
val_dataloader = dict(num_workers=4, dataset=dict(data_prefix=data_prefix, pipeline=val_pipeline))
test_dataloader = dict(num_workers=4, dataset=dict(data_prefix=data_prefix, pipeline=test_pipeline))

# Per-instance top-1/top-5 and per-class top-1 over the classes present in the split.
val_evaluator = dict(_delete_=True, type='SignAccMetric')
test_evaluator = val_evaluator
