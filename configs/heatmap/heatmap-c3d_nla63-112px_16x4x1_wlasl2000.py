# Keypoint-heatmap stream on WLASL2000: NLA-SLR's 63 COCO-WholeBody keypoints (upper body 0-10,
# every second mouth point of 71-90, both hands 91-132), one Gaussian per point, drawn by
# mmaction2's GeneratePoseTarget on the crop that an RGB clip of the same video would get
# (the video stream's Resize / RandomResizedCrop / Resize to 224), at half size: 112x112.
# Sigma: NLA-SLR's 8 px on a 256 map -> 3.5 px on our 112 map; no score weighting (detected
# points at full height, undetected ones not drawn). Frames are not decoded: the annotation's
# frame size stands in for them (ImgShapeFromAnnotation). Flip swaps the left/right points.
# Model: Recognizer3D + HeatmapC3D (PoseC3D's SlowOnly) + I3DHead; PoseC3D's SGD recipe.
#
# Memory: a 63 x 16 x 112 x 112 float32 sample is 50 MB; batch and workers are set for that.
_base_ = ['../_base_/models/heatmap-c3d_recognizer3d.py', '../_base_/default_runtime.py']

custom_imports = dict(imports=['signmae_mm'], allow_failed_imports=False)
default_scope = 'mmaction'

# Flip pairs of the 63-point subset (positions within it): NLA_SLR_63_LEFT_KP / _RIGHT_KP of
# signmae_mm.datasets.transforms (tests check that these lists equal them).
left_kp = [1, 3, 5, 7, 9, 11, 12, 15, 17, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34,
           35, 36, 37, 38, 39, 40, 41]
right_kp = [2, 4, 6, 8, 10, 14, 13, 16, 19, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54,
            55, 56, 57, 58, 59, 60, 61, 62]
heatmap_sigma = 3.5  # pixels of the 112x112 heatmap (8 px on a 256 map)

# (the checkpoint hook's type comes from the runtime base)
default_hooks = dict(checkpoint=dict(interval=5, save_best='auto', max_keep_ckpts=3))

dataset_type = 'SignVideoDataset'
data_prefix = dict(video='data/wlasl/videos', sign_ann='data/wlasl/sign_ann')
ann_file_train = 'data/wlasl/wlasl2000_train.json'
ann_file_val = 'data/wlasl/wlasl2000_val.json'
ann_file_test = 'data/wlasl/wlasl2000_test.json'

file_client_args = dict(io_backend='disk')
train_pipeline = [
    dict(type='DecordInit', **file_client_args),
    dict(type='SampleSignFrames', clip_len=16, frame_interval=4, num_clips=1),
    dict(type='LoadSignAnnotation', with_pose_keys=True),
    dict(type='SelectKeypoints', keypoints='nla_slr_63'),
    dict(type='ImgShapeFromAnnotation'),
    dict(type='Resize', scale=(-1, 256)),
    dict(type='RandomResizedCrop', area_range=(0.3, 1.0)),
    dict(type='Resize', scale=(224, 224), keep_ratio=False),
    dict(type='Flip', flip_ratio=0.5, left_kp=left_kp, right_kp=right_kp),
    dict(type='GeneratePoseTarget', sigma=heatmap_sigma, use_score=True, with_kp=True,
         with_limb=False, scaling=0.5),
    dict(type='FormatShape', input_format='NCTHW_Heatmap'),
    dict(type='PackActionInputs')
]
val_pipeline = [
    dict(type='DecordInit', **file_client_args),
    dict(type='SampleSignFrames', clip_len=16, frame_interval=4, num_clips=1, test_mode=True),
    dict(type='LoadSignAnnotation', with_pose_keys=True),
    dict(type='SelectKeypoints', keypoints='nla_slr_63'),
    dict(type='ImgShapeFromAnnotation'),
    dict(type='Resize', scale=(-1, 224)),
    dict(type='CenterCrop', crop_size=224),
    dict(type='GeneratePoseTarget', sigma=heatmap_sigma, use_score=True, with_kp=True,
         with_limb=False, scaling=0.5),
    dict(type='FormatShape', input_format='NCTHW_Heatmap'),
    dict(type='PackActionInputs')
]
# Two clips, centre crop (mmaction2's ThreeCrop moves no keypoints).
test_pipeline = [
    dict(type='DecordInit', **file_client_args),
    dict(type='SampleSignFrames', clip_len=16, frame_interval=4, num_clips=2, test_mode=True),
    dict(type='LoadSignAnnotation', with_pose_keys=True),
    dict(type='SelectKeypoints', keypoints='nla_slr_63'),
    dict(type='ImgShapeFromAnnotation'),
    dict(type='Resize', scale=(-1, 224)),
    dict(type='CenterCrop', crop_size=224),
    dict(type='GeneratePoseTarget', sigma=heatmap_sigma, use_score=True, with_kp=True,
         with_limb=False, scaling=0.5),
    dict(type='FormatShape', input_format='NCTHW_Heatmap'),
    dict(type='PackActionInputs')
]

train_dataloader = dict(
    batch_size=8,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        ann_file=ann_file_train,
        data_prefix=data_prefix,
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        ann_file=ann_file_val,
        data_prefix=data_prefix,
        pipeline=val_pipeline,
        test_mode=True))
test_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        ann_file=ann_file_test,
        data_prefix=data_prefix,
        pipeline=test_pipeline,
        test_mode=True))

# Per-instance top-1/top-5 and per-class top-1 over the classes present in the split.
val_evaluator = dict(type='SignAccMetric')
test_evaluator = val_evaluator

# PoseC3D's recipe: SGD, lr 0.2 for a total batch of 128, cosine, gradient clipping.
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=50, val_begin=1, val_interval=5)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
param_scheduler = [
    dict(type='CosineAnnealingLR', eta_min=0, T_max=50, by_epoch=True,
         convert_to_iter_based=True)
]
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.2, momentum=0.9, weight_decay=0.0003),
    clip_grad=dict(max_norm=40, norm_type=2))
auto_scale_lr = dict(enable=True, base_batch_size=128)
