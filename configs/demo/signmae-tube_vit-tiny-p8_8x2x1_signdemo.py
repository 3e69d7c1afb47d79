# The tube-masking twin of the demo's hand-arm pretraining (VideoMAE's tube mask, ratio 0.9):
# same model, data and schedule; only the mask transform differs (as in the real tube config).
#   mim train mmaction configs/demo/signmae-tube_vit-tiny-p8_8x2x1_signdemo.py
_base_ = ['./signmae-handarm_vit-tiny-p8_8x2x1_signdemo.py']

train_pipeline = [
    dict({k: v for k, v in t.items() if k != 'visible_slots'}, type='TubeMask')
    if t['type'] == 'SegmentGuidedHandMask' else t
    for t in _base_.train_pipeline
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
