# A stock mmaction2 recognizer (Recognizer3D + VisionTransformer + I3DHead) at toy size, trained
# on the synthetic clips of `tools/make_smoke_videos.py`: checks that the stack, our plugin import
# and checkpoint save/resume work end to end, in seconds on a CPU.
#   python tools/make_smoke_videos.py data/smoke
#   mim train mmaction configs/smoke/recognizer3d_vit-tiny-p16_8x2x1_synthetic.py
_base_ = ['mmaction::_base_/default_runtime.py']

custom_imports = dict(imports=['signmae_mm'], allow_failed_imports=False)
default_scope = 'mmaction'

num_classes = 2
img_size = 32
num_frames = 8

model = dict(
    type='Recognizer3D',
    backbone=dict(
        type='VisionTransformer',
        img_size=img_size,
        patch_size=16,
        embed_dims=64,
        depth=2,
        num_heads=2,
        mlp_ratio=2,
        num_frames=num_frames,
        tubelet_size=2,
        norm_cfg=dict(type='LN', eps=1e-6)),
    cls_head=dict(
        type='TimeSformerHead',
        num_classes=num_classes,
        in_channels=64,
        average_clips='prob'),
    data_preprocessor=dict(
        type='ActionDataPreprocessor',
        mean=[114.75, 114.75, 114.75],
        std=[57.375, 57.375, 57.375],
        format_shape='NCTHW'))

dataset_type = 'VideoDataset'
data_root = 'data/smoke/videos'
ann_file_train = 'data/smoke/train.txt'
ann_file_val = 'data/smoke/val.txt'

file_client_args = dict(io_backend='disk')
train_pipeline = [
    dict(type='DecordInit', **file_client_args),
    dict(type='SampleFrames', clip_len=num_frames, frame_interval=2, num_clips=1),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(-1, 40)),
    dict(type='RandomResizedCrop', area_range=(0.6, 1.0)),
    dict(type='Resize', scale=(img_size, img_size), keep_ratio=False),
    dict(type='Flip', flip_ratio=0.5),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
val_pipeline = [
    dict(type='DecordInit', **file_client_args),
    dict(type='SampleFrames', clip_len=num_frames, frame_interval=2, num_clips=1,
         test_mode=True),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(img_size, img_size), keep_ratio=False),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]

train_dataloader = dict(
    batch_size=2,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        ann_file=ann_file_train,
        data_prefix=dict(video=data_root),
        pipeline=train_pipeline))
val_dataloader = dict(
    train_dataloader,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        train_dataloader['dataset'], ann_file=ann_file_val, pipeline=val_pipeline, test_mode=True))
test_dataloader = val_dataloader

val_evaluator = dict(type='AccMetric')
test_evaluator = val_evaluator

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=2, val_begin=1, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

optim_wrapper = dict(optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05))
param_scheduler = [dict(type='CosineAnnealingLR', T_max=2, eta_min=1e-5, by_epoch=True)]

default_hooks = dict(
    logger=dict(interval=1), checkpoint=dict(interval=1, save_best=None, max_keep_ckpts=2))
env_cfg = dict(dist_cfg=dict(backend='gloo'))
randomness = dict(seed=0)
