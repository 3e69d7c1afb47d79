# Learned fusion of SignMAE's three finetuned streams on WLASL2000: a classifier on the
# concatenated pooled features (per-stream LayerNorm, dropout, linear) of the frozen hand-arm
# and tube-masking ViT-B video streams and the heatmap stream; only the head trains. Streams,
# data and evaluation as the late-fusion config. Checkpoints hold the head only; the streams
# always come from their own checkpoints.
#
#   mim train mmaction configs/fusion/learned-fusion_..._wlasl2000.py
#   mim test mmaction configs/fusion/learned-fusion_..._wlasl2000.py --checkpoint <best>.pth
_base_ = ['./late-fusion_vit-b-handarm-tube_heatmap-c3d_16x4x1_wlasl2000.py']

model = dict(
    fusion_head=dict(
        _delete_=True,
        type='LearnedFusionHead',
        feat_norm=True,
        dropout_ratio=0.5,
        average_clips='prob'))

# The head trains: mmengine's default DDP wrapper (the late-fusion config's separate wrapper
# would wrap the head alone).
model_wrapper_cfg = None

default_hooks = dict(checkpoint=dict(interval=1, save_best='auto', max_keep_ckpts=2))

# The video streams' training crop (no flip: they were finetuned without), heatmaps of the
# same crop at half size (the data base's `train_pipeline`); loaders as validation's otherwise.
train_dataloader = dict(
    _base_.val_dataloader,
    batch_size=8,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=_base_.dataset_type,
        ann_file='data/wlasl/wlasl2000_train.json',
        data_prefix=_base_.data_prefix,
        pipeline=_base_.train_pipeline))

# A linear probe's schedule: AdamW, 1 warm-up epoch, cosine, 20 epochs.
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=20, val_begin=1, val_interval=1)
optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='AdamW', lr=1e-3, weight_decay=1e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=19, eta_min_ratio=0.01, by_epoch=True, begin=1, end=20,
         convert_to_iter_based=True)
]
auto_scale_lr = dict(enable=True, base_batch_size=64)
