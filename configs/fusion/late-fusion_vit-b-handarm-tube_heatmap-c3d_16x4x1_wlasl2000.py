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
_base_ = ['../_base_/datasets/wlasl2000_video-heatmap.py', '../_base_/default_runtime.py']

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
        type='LateFusionHead',
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

val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
