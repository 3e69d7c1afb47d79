# The motion-aware twin of the demo's hand-arm pretraining (MASA's motion-aware masking on RGB
# tokens: the tokens whose keypoints move, 90 % of them, then the hand-arm fill; see
# MotionAwareMask): same model, data and schedule; only the mask transform differs.
#   mim train mmaction configs/demo/signmae-motion_vit-tiny-p8_8x2x1_signdemo.py
_base_ = ['./signmae-handarm_vit-tiny-p8_8x2x1_signdemo.py']

train_pipeline = [
    dict({k: v for k, v in t.items() if k != 'visible_slots'}, type='MotionAwareMask')
    if t['type'] == 'SegmentGuidedHandMask' else t
    for t in _base_.train_pipeline
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
