# The tube-masking twin of SignMAE's hand-arm pretraining (VideoMAE's tube mask, ratio 0.9):
# same model, data and schedule; only the mask transform differs. No part maps are needed.
_base_ = ['./signmae-handarm_vit-base-p16_16x4x1_wlasl2000.py']

train_pipeline = [
    dict({k: v for k, v in t.items() if k != 'visible_slots'}, type='TubeMask')
    if t['type'] == 'SegmentGuidedHandMask' else t
    for t in _base_.train_pipeline
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
