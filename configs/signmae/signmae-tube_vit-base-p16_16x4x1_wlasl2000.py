# The tube-masking twin of SignMAE's hand-arm pretraining (VideoMAE's tube mask, ratio 0.9):
# same model, data and schedule; only the mask transform differs. No part maps are needed.
_base_ = ['./signmae-handarm_vit-base-p16_16x4x1_wlasl2000.py']

custom_imports = dict(imports=['signmae_mm'], allow_failed_imports=False)
default_scope = 'mmaction'

mask_ratio = 0.9
file_client_args = dict(io_backend='disk')
train_pipeline = [
    dict(type='DecordInit', **file_client_args),
    dict(type='SampleSignFrames', clip_len=16, frame_interval=4, num_clips=1),
    dict(type='LoadSignAnnotation'),
    dict(type='HandMovementCheck', drop_static=False),
    dict(type='DecordDecode'),
    dict(
        type='MultiScaleCrop',
        input_size=224,
        scales=(1, 0.875, 0.75, 0.66),
        random_crop=False,
        max_wh_scale_gap=1),
    dict(type='Resize', scale=(224, 224), keep_ratio=False),
    dict(
        type='TubeMask',
        ratio=mask_ratio,
        tubelet_size=2,
        patch_size=16,
        input_size=(16, 224, 224)),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs', algorithm_keys=('mask', ))
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
