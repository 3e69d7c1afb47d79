# WLASL2000 as RGB clips for recognition (the video streams' finetuning): wlasl2000.py's clips
# with its training crop; validation one centre crop, test 2 clips x 3 crops.
_base_ = ['./wlasl2000.py', './sign-video_train-loader.py', './sign-video_eval-loaders.py']

train_pipeline = [
    dict(type='DecordInit', **_base_.file_client_args), _base_.sample,
    dict(type='DecordDecode'), *_base_.train_crop,
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
val_pipeline = [
    dict(type='DecordInit', **_base_.file_client_args),
    dict(_base_.sample, test_mode=True),
    dict(type='DecordDecode'), *_base_.val_crop,
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
# Test: 2 clips, each as 3 crops.
test_pipeline = [
    dict(t, num_clips=2) if t['type'] == 'SampleSignFrames' else
    dict(t, type='ThreeCrop') if t['type'] == 'CenterCrop' else t for t in val_pipeline
]

data_prefix = dict(video=_base_.data_root)
train_dataloader = dict(
    dataset=dict(ann_file=_base_.ann_file_train, data_prefix=data_prefix, pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(ann_file=_base_.ann_file_val, data_prefix=data_prefix, pipeline=val_pipeline))
test_dataloader = dict(
    dataset=dict(ann_file=_base_.ann_file_test, data_prefix=data_prefix, pipeline=test_pipeline))

# Per-instance top-1/top-5 and per-class (mean class) accuracy.
val_evaluator = dict(type='AccMetric', metric_list=('top_k_accuracy', 'mean_class_accuracy'))
test_evaluator = val_evaluator
