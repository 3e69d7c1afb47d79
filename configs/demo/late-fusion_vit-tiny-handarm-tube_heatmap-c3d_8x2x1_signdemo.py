# Late fusion of the demo's three finetuned streams (test-only: nothing to train): the WLASL2000
# late-fusion config with the demo streams' checkpoints and the demo's data at its clip
# geometry (8x2 frames of 64x64, heatmaps 32x32 of the same crop, from the noisy keypoints the
# heatmap stream trained on). Weights fitted on the validation split's score dumps:
#   python tools/fuse_scores.py test_*.pkl --fit --fit-on val_*.pkl \
#       --names rgb_handarm rgb_tube heatmap --save-checkpoint work_dirs/late_fusion.pth
#   mim test mmaction configs/demo/late-fusion_vit-tiny-handarm-tube_heatmap-c3d_8x2x1_signdemo.py \
#       --checkpoint work_dirs/late_fusion.pth
# tools/run_demo_streams.sh runs the whole downstream.
_base_ = ['../fusion/late-fusion_vit-b-handarm-tube_heatmap-c3d_16x4x1_wlasl2000.py']

img_size = 64
num_frames = 8
frame_interval = 2

# Where `mim train` puts each demo stream; the demo configs keep one checkpoint per run, so the
# glob matches the last epoch whatever the number of epochs.
model = dict(
    streams=dict(
        rgb_handarm=dict(
            checkpoint='work_dirs/vit-tiny-p8_signmae-handarm-pre_8x2x1_signdemo/epoch_*.pth'),
        rgb_tube=dict(
            checkpoint='work_dirs/vit-tiny-p8_signmae-tube-pre_8x2x1_signdemo/epoch_*.pth'),
        heatmap=dict(checkpoint='work_dirs/heatmap-c3d_nla63-32px_8x2x1_signdemo/epoch_*.pth')))

data_root = 'data/demo/videos'
sign_ann_root = 'data/demo/sign_ann_noisy'
ann_file_train = 'data/demo/train.json'
ann_file_val = 'data/demo/val.json'
ann_file_test = 'data/demo/test.json'


def __at_demo_geometry(pipeline):
    """The base pipeline at the demo streams' geometry (as the heatmap demo config)."""
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
# the streams' own test: one 8x2 clip, centre crop
test_pipeline = val_pipeline

data_prefix = dict(video=data_root, sign_ann=sign_ann_root)
val_dataloader, test_dataloader = (
    dict(batch_size=32, num_workers=1,
         dataset=dict(ann_file=ann_file, data_prefix=data_prefix, pipeline=pipeline))
    for ann_file, pipeline in ((ann_file_val, val_pipeline), (ann_file_test, test_pipeline)))
