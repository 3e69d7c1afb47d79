# Keypoint-heatmap stream on WLASL2000: NLA-SLR's 63 keypoints as 112x112 heatmaps of the crop
# that the RGB clip of the same video gets (_base_/datasets/wlasl2000_heatmap.py has the
# decisions). Model: Recognizer3D + HeatmapC3D (PoseC3D's SlowOnly) + I3DHead; PoseC3D's SGD
# recipe.
_base_ = [
    '../_base_/models/heatmap-c3d_recognizer3d.py', '../_base_/datasets/wlasl2000_heatmap.py',
    '../_base_/default_runtime.py'
]

# (the checkpoint hook's type comes from the runtime base)
default_hooks = dict(checkpoint=dict(interval=5, save_best='auto', max_keep_ckpts=3))

# PoseC3D's recipe: SGD, lr 0.2 for a total batch of 128, cosine, gradient clipping.
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=50, val_begin=1, val_interval=5)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
param_scheduler = [
    dict(type='CosineAnnealingLR', eta_min=0, T_max=50, by_epoch=True,
         convert_to_iter_based=True)
]
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.2, momentum=0.9, weight_decay=0.0003),
    clip_grad=dict(max_norm=40, norm_type=2))
auto_scale_lr = dict(enable=True, base_batch_size=128)
