# The tube-masking video stream's finetuning on Slovo: the hand-arm stream's
# slovo config with the tube-masking encoder.
_base_ = ['./vit-base-p16_signmae-handarm-pre_16x4x1_slovo.py']

pretrained = 'work_dirs/signmae-tube_vit-base-p16_16x4x1_wlasl2000/epoch_800.pth'
model = dict(backbone=dict(init_cfg=dict(checkpoint=pretrained)))
