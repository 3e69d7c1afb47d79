# WLASL2000 for SignMAE pretraining: videos with their sign annotations (keypoints, part maps),
# VideoMAE's multi-scale crop, then the hand-arm mask, computed on the final clip geometry
# (wlasl2000.py's, which the pretraining configs also give to the encoder).
_base_ = ['./wlasl2000.py', './sign-video_train-loader.py']

mask_ratio = 0.9

train_pipeline = [
    dict(type='DecordInit', **_base_.file_client_args), _base_.sample,
    dict(type='LoadSignAnnotation'),
    # Records whether the hands move; drop_static=True would skip static clips.
    dict(type='HandMovementCheck', drop_static=False),
    dict(type='DecordDecode'),
    dict(
        type='MultiScaleCrop',
        input_size=_base_.img_size,
        scales=(1, 0.875, 0.75, 0.66),
        random_crop=False,
        max_wh_scale_gap=1),
    dict(type='Resize', scale=(_base_.img_size, _base_.img_size), keep_ratio=False),
    # The masking twins (tube, random) replace this transform's `type` and drop its own
    # `visible_slots`. visible_slots=1: the hands of one random time slot stay visible; with
    # every hand token masked in every slot the encoder never sees a hand, and learns nothing of
    # its shape (configs/demo/README.md has the probes that show it).
    dict(
        type='SegmentGuidedHandMask',
        ratio=mask_ratio,
        visible_slots=1,
        tubelet_size=_base_.tubelet_size,
        patch_size=_base_.patch_size,
        input_size=(_base_.num_frames, _base_.img_size, _base_.img_size)),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs', algorithm_keys=('mask', ))
]

train_dataloader = dict(
    dataset=dict(
        ann_file=_base_.ann_file_train,
        data_prefix=dict(video=_base_.data_root, sign_ann=_base_.sign_ann_root),
        pipeline=train_pipeline))
