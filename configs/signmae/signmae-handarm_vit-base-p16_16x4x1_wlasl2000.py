# SignMAE pretraining, hand-arm masking (ratio 0.9), ViT-B/16, 16 frames x interval 4 x 1 clip,
# 224x224, on WLASL2000 videos with their sign annotations (keypoints, part maps).
#   mim train mmaction configs/signmae/signmae-handarm_vit-base-p16_16x4x1_wlasl2000.py
# Runs on a CPU as is (plain OptimWrapper); the `_amp-` variant is the one for GPUs.
_base_ = [
    '../_base_/models/signmae_vit-base-p16.py',
    '../_base_/datasets/wlasl2000_signmae-pretrain.py',
    '../_base_/schedules/adamw_videomae-pretrain_800e.py', '../_base_/default_runtime.py'
]

# The encoder at the data's clip geometry (the mask cuts the clips into these tokens).
model = dict(
    backbone=dict(
        img_size=_base_.img_size,
        num_frames=_base_.num_frames,
        patch_size=_base_.patch_size,
        tubelet_size=_base_.tubelet_size))

# No validation during pretraining; keep the last checkpoints.
default_hooks = dict(
    logger=dict(interval=20), checkpoint=dict(interval=10, save_best=None, max_keep_ckpts=3))
