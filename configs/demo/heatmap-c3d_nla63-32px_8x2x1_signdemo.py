# The keypoint-heatmap stream on the built-in demo set, sized for a CPU: the WLASL2000 heatmap
# config (63 NLA-SLR keypoints, Recognizer3D + HeatmapC3D + I3DHead, PoseC3D's SGD recipe) at
# the demo's clip geometry, reading the demo's *noisy* keypoints (the twin that
# `python tools/make_demo_data.py data/demo --noisy-twin` writes: MediaPipe-like jitter,
# dropped hands and scores, docs/keypoint_noise.md), as the stream would read real ones.
#   mim train mmaction configs/demo/heatmap-c3d_nla63-32px_8x2x1_signdemo.py
_base_ = ['../heatmap/heatmap-c3d_nla63-112px_16x4x1_wlasl2000.py']

num_classes = 10
img_size = 64
num_frames = 8
frame_interval = 2
# what the whole downstream's 40 minutes on 2 cores leave (configs/demo/README.md)
max_epochs = 4

# Heatmaps at half the 64-px clip, 32x32 (as 112 of 224), with the base's sigma scaled with
# them (3.5 px of 112 -> 1 px of 32). The stem keeps them at 32x32 (stride 1, as the heatmap
# README says for small maps) so that a hand's points, 5-6 px apart, stay apart; 16 base
# channels instead of 32: 2.6x fewer clips per second otherwise, and the schedule would not fit
# the demo's time on 2 cores (out: 16 * 4 * 4 = 256 channels, 4x4 cells).
model = dict(
    backbone=dict(base_channels=16, conv1_stride_s=1),
    cls_head=dict(num_classes=num_classes, in_channels=256))

data_root = 'data/demo/videos'
sign_ann_root = 'data/demo/sign_ann_noisy'
ann_file_train = 'data/demo/train.json'
ann_file_val = 'data/demo/val.json'
ann_file_test = 'data/demo/test.json'


def __at_demo_geometry(pipeline):
    """The base pipeline at the video demo's clip geometry (8x2 frames, 224 -> 64, crops of
    80-100 % of the frame: the same crop as the demo's RGB clips) and 32x32 heatmaps."""
    scaled = lambda v: v if v < 0 else v * img_size // 224  # noqa: E731
    out = []
    for t in pipeline:
        t = dict(t)
        if t['type'] == 'SampleSignFrames':
            t.update(clip_len=num_frames, frame_interval=frame_interval)
        elif t['type'] == 'Resize':
            t['scale'] = tuple(scaled(v) for v in t['scale'])
        elif t['type'] == 'RandomResizedCrop':
            t.update(area_range=(0.8, 1.0), aspect_ratio_range=(0.9, 1.1))
        elif t['type'] == 'CenterCrop':
            t['crop_size'] = scaled(t['crop_size'])
        elif t['type'] == 'GeneratePoseTarget':
            t['sigma'] = t['sigma'] * img_size / 224
        out.append(t)
    return out


train_pipeline = __at_demo_geometry(_base_.train_pipeline)
val_pipeline = __at_demo_geometry(_base_.val_pipeline)
# one 8x2 clip covers a 16-frame demo video (as in the video demo's test)
test_pipeline = val_pipeline

data_prefix = dict(video=data_root, sign_ann=sign_ann_root)
train_dataloader, val_dataloader, test_dataloader = (
    dict(batch_size=32, num_workers=1,
         dataset=dict(ann_file=ann_file, data_prefix=data_prefix, pipeline=pipeline))
    for ann_file, pipeline in ((ann_file_train, train_pipeline), (ann_file_val, val_pipeline),
                               (ann_file_test, test_pipeline)))

# PoseC3D's recipe with its lr set for the demo's batch of 32 (0.2 at 128), over the demo's
# epochs, validated at the end; keep the final checkpoint only (the fusion configs load it).
train_cfg = dict(max_epochs=max_epochs, val_begin=max_epochs, val_interval=max_epochs)
param_scheduler = [dict(_base_.param_scheduler[0], T_max=max_epochs)]
optim_wrapper = dict(optimizer=dict(lr=0.05))
auto_scale_lr = dict(enable=False)
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=max_epochs, save_best=None, save_last=True, max_keep_ckpts=1))
