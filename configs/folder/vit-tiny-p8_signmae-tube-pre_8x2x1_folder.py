# Finetuning the tube-masking encoder pretrained on your own clips
# (signmae-tube_vit-tiny-p8_8x2x1_folder.py); everything else as the hand-arm stream's folder
# finetuning. Set the number of classes: --cfg-options model.cls_head.num_classes=N.
_base_ = ['./vit-tiny-p8_signmae-handarm-pre_8x2x1_folder.py']

model = dict(
    backbone=dict(init_cfg=dict(
        checkpoint='work_dirs/signmae-tube_vit-tiny-p8_8x2x1_folder/epoch_20.pth')))
