# Late fusion of SignMAE's three finetuned streams on WLASL2000 (test-only: nothing to train):
# the hand-arm and tube-masking ViT-B video streams and the 63-keypoint heatmap stream, each
# loaded from its own finetuning checkpoint, fused as the weighted average of their class
# scores. One sample holds the RGB clip and the heatmaps of the same frames and crop.
#
#   # weights fitted on the validation split's score dumps (see tools/fuse_scores.py):
#   python tools/fuse_scores.py val_rgb_handarm.pkl val_rgb_tube.pkl val_heatmap.pkl \
#       --names rgb_handarm rgb_tube heatmap --fit --save-checkpoint work_dirs/late_fusion.pth
#   mim test mmaction configs/fusion/late-fusion_..._wlasl2000.py \
#       --checkpoint work_dirs/late_fusion.pth
#
# The checkpoint given to `mim test` holds the fusion weights only; the streams keep the
# weights of their own checkpoints (below; a glob must match one file).
_base_ = ['../_base_/default_runtime.py']

custom_imports = dict(imports=['signmae_mm'], allow_failed_imports=False)
default_scope = 'mmaction'

# Every stream's architecture comes from the config stored in its checkpoint (meta.cfg); set
# `config=` (a config file) or `model=` in a stream to override it.
model = dict(
    type='MultiStreamRecognizer',
    streams=dict(
        rgb_handarm=dict(
            checkpoint='work_dirs/vit-base-p16_signmae-handarm-pre_16x4x1_wlasl2000/best_*.pth',
            input_key='imgs'),
        rgb_tube=dict(
            checkpoint='work_dirs/vit-base-p16_signmae-tube-pre_16x4x1_wlasl2000/best_*.pth',
            input_key='imgs'),
        heatmap=dict(
            checkpoint='work_dirs/heatmap-c3d_nla63-112px_16x4x1_wlasl2000/best_*.pth',
            input_key='heatmap_imgs')),
    fusion_head=dict(
        type='StreamFusionHead',
        mode='late',
        weights=dict(rgb_handarm=1.0, rgb_tube=1.0, heatmap=1.0)),
    data_preprocessor=dict(
        type='MultiModalDataPreprocessor',
        preprocessors=dict(
            imgs=dict(
                type='ActionDataPreprocessor',
                mean=[123.675, 116.28, 103.53],
                std=[58.395, 57.12, 57.375],
                format_shape='NCTHW'),
            heatmap_imgs=dict(type='ActionDataPreprocessor', format_shape='NCTHW'))))

# Distributed testing (--launcher pytorch): DDP refuses a model without trainable parameters,
# which late fusion is; this wrapper leaves such modules unwrapped.
model_wrapper_cfg = dict(type='MMSeparateDistributedDataParallel')

# As the heatmap stream's config: NLA-SLR's 63 keypoints, sigma 3.5 px at 112x112.
heatmap_sigma = 3.5

dataset_type = 'SignVideoDataset'
data_prefix = dict(video='data/wlasl/videos', sign_ann='data/wlasl/sign_ann')
ann_file_val = 'data/wlasl/wlasl2000_val.json'
ann_file_test = 'data/wlasl/wlasl2000_test.json'

file_client_args = dict(io_backend='disk')
# RGB 224x224 (the video streams' test crop) and heatmaps of the same crop at 112x112.
val_pipeline = [
    dict(type='DecordInit', **file_client_args),
    dict(type='SampleSignFrames', clip_len=16, frame_interval=4, num_clips=1, test_mode=True),
    dict(type='DecordDecode'),
    dict(type='LoadSignAnnotation', with_pose_keys=True),
    dict(type='SelectKeypoints', keypoints='nla_slr_63'),
    dict(type='Resize', scale=(-1, 224)),
    dict(type='CenterCrop', crop_size=224),
    dict(type='GeneratePoseTarget', sigma=heatmap_sigma, use_score=True, with_kp=True,
         with_limb=False, scaling=0.5),
    dict(type='ClipLenPerModality'),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs', collect_keys=('imgs', 'heatmap_imgs'))
]
# Two clips, centre crop (mmaction2's ThreeCrop moves no keypoints).
test_pipeline = [
    dict(type='DecordInit', **file_client_args),
    dict(type='SampleSignFrames', clip_len=16, frame_interval=4, num_clips=2, test_mode=True),
    dict(type='DecordDecode'),
    dict(type='LoadSignAnnotation', with_pose_keys=True),
    dict(type='SelectKeypoints', keypoints='nla_slr_63'),
    dict(type='Resize', scale=(-1, 224)),
    dict(type='CenterCrop', crop_size=224),
    dict(type='GeneratePoseTarget', sigma=heatmap_sigma, use_score=True, with_kp=True,
         with_limb=False, scaling=0.5),
    dict(type='ClipLenPerModality'),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs', collect_keys=('imgs', 'heatmap_imgs'))
]

val_dataloader = dict(
    batch_size=4,
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
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
