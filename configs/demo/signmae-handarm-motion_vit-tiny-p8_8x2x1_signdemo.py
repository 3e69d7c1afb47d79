# The demo's hand-arm pretraining with a second target: beside the normalised pixels, the masked
# tubelets' temporal difference at a lag of 3 frames (MASA's motion target, on pixels; see
# MotionReconstructionHead), predicted by its own linear from the same decoded tokens and logged
# as loss_motion. Model, data and schedule are the hand-arm demo's; only the heads differ.
# At 8 frames in tubelets of 4, the second time slot's frames have no partner 3 frames later:
# the motion loss counts the masked tokens of the first slot (padding='crop').
#   mim train mmaction configs/demo/signmae-handarm-motion_vit-tiny-p8_8x2x1_signdemo.py
_base_ = ['./signmae-handarm_vit-tiny-p8_8x2x1_signdemo.py']

model = dict(
    head=None,
    heads=[_base_.model.head, dict(type='MotionReconstructionHead', lag=3, loss_weight=1.0)])
