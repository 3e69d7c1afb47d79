# The second video stream of the demo's fusion: finetuning of the *tube-masking* demo encoder
# (signmae-tube_vit-tiny-p8_8x2x1_signdemo.py); everything else as the hand-arm stream's
# finetuning, as configs/fusion/streams/ does for WLASL2000.
#   mim train mmaction configs/demo/vit-tiny-p8_signmae-tube-pre_8x2x1_signdemo.py
_base_ = ['./vit-tiny-p8_signmae-handarm-pre_8x2x1_signdemo.py']

pretrained = 'work_dirs/signmae-tube_vit-tiny-p8_8x2x1_signdemo/epoch_20.pth'
model = dict(backbone=dict(init_cfg=dict(checkpoint=pretrained)))
