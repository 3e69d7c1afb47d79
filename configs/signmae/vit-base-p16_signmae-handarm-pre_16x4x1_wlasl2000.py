# Finetuning a SignMAE-pretrained ViT-B/16 on WLASL2000 with mmaction2's stock Recognizer3D +
# VisionTransformer + TimeSformerHead; mixup/cutmix, label smoothing, layer-wise lr decay,
# per-instance (top-1/top-5) and per-class (mean class) accuracy.
#
# The encoder comes from a pretraining checkpoint, taken by its `backbone.` keys: a run's
# checkpoint (e.g. epoch_800.pth) or the backbone-only file of
# `tools/convert_videomae_checkpoint.py --to backbone`. Every key loads except the stated
# exception of VideoMAE's recipe: the pretraining encoder's final `norm` is not used, and the
# mean-pooling backbone starts a fresh `fc_norm`.
_base_ = [
    '../_base_/models/vit-base-p16_recognizer3d.py',
    '../_base_/schedules/adamw_videomae-finetune_50e.py', '../_base_/default_runtime.py'
]

custom_imports = dict(imports=['signmae_mm'], allow_failed_imports=False)
default_scope = 'mmaction'

pretrained = 'work_dirs/signmae-handarm_vit-base-p16_16x4x1_wlasl2000/epoch_800.pth'
model = dict(
    backbone=dict(init_cfg=dict(type='Pretrained', checkpoint=pretrained, prefix='backbone.')))

default_hooks = dict(
    checkpoint=dict(type='AtomicCheckpointHook', interval=5, save_best='auto', max_keep_ckpts=3))

dataset_type = 'SignVideoDataset'
data_root = 'data/wlasl/videos'
ann_file_train = 'data/wlasl/wlasl2000_train.json'
ann_file_val = 'data/wlasl/wlasl2000_val.json'
ann_file_test = 'data/wlasl/wlasl2000_test.json'

file_client_args = dict(io_backend='disk')
train_pipeline = [
    dict(type='DecordInit', **file_client_args),
    dict(type='SampleSignFrames', clip_len=16, frame_interval=4, num_clips=1),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(-1, 256)),
    dict(type='RandomResizedCrop', area_range=(0.3, 1.0)),
    dict(type='Resize', scale=(224, 224), keep_ratio=False),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
val_pipeline = [
    dict(type='DecordInit', **file_client_args),
    dict(type='SampleSignFrames', clip_len=16, frame_interval=4, num_clips=1, test_mode=True),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(-1, 224)),
    dict(type='CenterCrop', crop_size=224),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
test_pipeline = [
    dict(type='DecordInit', **file_client_args),
    dict(type='SampleSignFrames', clip_len=16, frame_interval=4, num_clips=2, test_mode=True),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(-1, 224)),
    dict(type='ThreeCrop', crop_size=224),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]

train_dataloader = dict(
    batch_size=8,
    num_workers=8,
    persistent_workers=True,
    # SeededSampler: each sample's random crops / masks come from (seed, epoch, index), which
    # makes resumed runs exact; max_bad_ratio: bad videos are logged and replaced, up to 1%.
    sampler=dict(type='SeededSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        ann_file=ann_file_train,
        max_bad_ratio=0.01,
        min_bad_count=10,
        data_prefix=dict(video=data_root),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        ann_file=ann_file_val,
        data_prefix=dict(video=data_root),
        pipeline=val_pipeline,
        test_mode=True))
test_dataloader = dict(
    batch_size=1,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        ann_file=ann_file_test,
        data_prefix=dict(video=data_root),
        pipeline=test_pipeline,
        test_mode=True))

# Per-instance top-1/top-5 and per-class (mean class) accuracy.
val_evaluator = dict(type='AccMetric', metric_list=('top_k_accuracy', 'mean_class_accuracy'))
test_evaluator = val_evaluator
