# SignMAE pretraining, hand-arm masking (ratio 0.9), ViT-B/16, 16 frames x interval 4 x 1 clip,
# 224x224, on WLASL2000 videos with their sign annotations (keypoints, part maps).
#   mim train mmaction configs/signmae/signmae-handarm_vit-base-p16_16x4x1_wlasl2000.py
# Runs on a CPU as is (plain OptimWrapper); the `_amp-` variant is the one for GPUs.
_base_ = [
    '../_base_/models/signmae_vit-base-p16.py',
    '../_base_/schedules/adamw_videomae-pretrain_800e.py', '../_base_/default_runtime.py'
]

custom_imports = dict(imports=['signmae_mm'], allow_failed_imports=False)
default_scope = 'mmaction'

# No validation during pretraining; keep the last checkpoints.
default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(type='AtomicCheckpointHook', interval=10, save_best=None, max_keep_ckpts=3))

mask_ratio = 0.9
dataset_type = 'SignVideoDataset'
data_root = 'data/wlasl/videos'
sign_ann_root = 'data/wlasl/sign_ann'
ann_file_train = 'data/wlasl/wlasl2000_train.json'

file_client_args = dict(io_backend='disk')
train_pipeline = [
    dict(type='DecordInit', **file_client_args),
    dict(type='SampleSignFrames', clip_len=16, frame_interval=4, num_clips=1),
    dict(type='LoadSignAnnotation'),
    # Records whether the hands move; drop_static=True would skip static clips.
    dict(type='HandMovementCheck', drop_static=False),
    dict(type='DecordDecode'),
    # VideoMAE's multi-scale crop, then the mask: it is computed on the final clip geometry.
    dict(
        type='MultiScaleCrop',
        input_size=224,
        scales=(1, 0.875, 0.75, 0.66),
        random_crop=False,
        max_wh_scale_gap=1),
    dict(type='Resize', scale=(224, 224), keep_ratio=False),
    dict(
        type='SegmentGuidedHandMask',
        ratio=mask_ratio,
        tubelet_size=2,
        patch_size=16,
        input_size=(16, 224, 224)),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs', algorithm_keys=('mask', ))
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
        data_prefix=dict(video=data_root, sign_ann=sign_ann_root),
        pipeline=train_pipeline))
