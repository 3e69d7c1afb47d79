# The random-masking twin of the demo's hand-arm pretraining (uniformly random tokens, ratio 0.9,
# the same count): same model, data and schedule; only the mask transform differs.
#   mim train mmaction configs/demo/signmae-random_vit-tiny-p8_8x2x1_signdemo.py
_base_ = ['./signmae-handarm_vit-tiny-p8_8x2x1_signdemo.py']

train_pipeline = [
    dict({k: v for k, v in t.items() if k != 'visible_slots'}, type='RandomMask')
    if t['type'] == 'SegmentGuidedHandMask' else t
    for t in _base_.train_pipeline
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
