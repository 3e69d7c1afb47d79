# Learned fusion of the demo's three frozen streams: the demo's late-fusion config (streams,
# data, geometry) with the head and training of the WLASL2000 learned-fusion config
# (configs/fusion/learned-fusion_..._wlasl2000.py: per-stream LayerNorm, dropout, linear;
# AdamW 1e-3, a warm-up epoch, cosine), over the demo's epochs. Only the head trains.
#   mim train mmaction \
#       configs/demo/learned-fusion_vit-tiny-handarm-tube_heatmap-c3d_8x2x1_signdemo.py
_base_ = ['./late-fusion_vit-tiny-handarm-tube_heatmap-c3d_8x2x1_signdemo.py']

# an epoch runs the three streams over the 2000 training clips: 3 fit the downstream's 40
# minutes on 2 cores (configs/demo/README.md)
max_epochs = 3

# as the WLASL2000 learned-fusion config (tests check that they agree)
model = dict(
    fusion_head=dict(
        _delete_=True,
        type='LearnedFusionHead',
        feat_norm=True,
        dropout_ratio=0.5,
        average_clips='prob'))
model_wrapper_cfg = None

# The streams' training crop (the late-fusion config's `train_pipeline`), shuffled batches of
# 32 from one worker.
train_dataloader = dict(
    _base_.val_dataloader,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(_base_.val_dataloader.dataset, ann_file=_base_.ann_file_train,
                 pipeline=_base_.train_pipeline))

# The WLASL2000 head's schedule over the demo's epochs (lr for the real batch: no scaling);
# validated and saved at the end only (the streams' forward passes are most of an epoch).
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_begin=max_epochs,
                 val_interval=max_epochs)
optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='AdamW', lr=1e-3, weight_decay=1e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - 1, eta_min_ratio=0.01, by_epoch=True,
         begin=1, end=max_epochs, convert_to_iter_based=True)
]
auto_scale_lr = dict(enable=False)
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=max_epochs, save_best=None, save_last=True, max_keep_ckpts=1))
