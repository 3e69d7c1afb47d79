# The GPU hand-arm pretraining with VideoMAE V2's dual masking: the decoder reconstructs a
# running-cell pattern of 50% of the tokens and the loss counts those the encoder masked.
_base_ = ['./signmae-handarm_vit-base-p16_amp-16x4x1_wlasl2000.py']

model = dict(decoder_keep_ratio=0.5)
