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
    '../_base_/models/vit-base-p16_recognizer3d.py', '../_base_/datasets/wlasl2000_video.py',
    '../_base_/schedules/adamw_videomae-finetune_50e.py', '../_base_/default_runtime.py'
]

# The encoder at the data's clip geometry (as in pretraining, so that every backbone key fits).
pretrained = 'work_dirs/signmae-handarm_vit-base-p16_16x4x1_wlasl2000/epoch_800.pth'
model = dict(
    backbone=dict(
        img_size=_base_.img_size,
        num_frames=_base_.num_frames,
        patch_size=_base_.patch_size,
        tubelet_size=_base_.tubelet_size,
        init_cfg=dict(type='Pretrained', checkpoint=pretrained, prefix='backbone.')))

default_hooks = dict(checkpoint=dict(interval=5, save_best='auto', max_keep_ckpts=3))
