# The second video stream of the fusion: the WLASL2000 finetuning of a *tube-masking* SignMAE
# encoder (configs/signmae/signmae-tube_vit-base-p16_16x4x1_wlasl2000.py); everything else as
# the hand-arm stream's finetuning config.
_base_ = ['../../signmae/vit-base-p16_signmae-handarm-pre_16x4x1_wlasl2000.py']

pretrained = 'work_dirs/signmae-tube_vit-base-p16_16x4x1_wlasl2000/epoch_800.pth'
model = dict(backbone=dict(init_cfg=dict(checkpoint=pretrained)))
