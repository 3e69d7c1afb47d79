# Finetuning the demo's SignMAE-pretrained tiny ViT on the demo set (10 signs) with mmaction2's
# stock Recognizer3D + VisionTransformer + TimeSformerHead: the real finetuning recipe
# (configs/signmae/vit-base-p16_signmae-handarm-pre_16x4x1_wlasl2000.py) at the demo's sizes.
#   mim train mmaction configs/demo/vit-tiny-p8_signmae-handarm-pre_8x2x1_signdemo.py
#   mim test mmaction configs/demo/vit-tiny-p8_signmae-handarm-pre_8x2x1_signdemo.py \
#       --checkpoint work_dirs/vit-tiny-p8_signmae-handarm-pre_8x2x1_signdemo/epoch_<N>.pth
# The encoder comes from the demo pretraining run (its last checkpoint, by the `backbone.` keys);
# another one: --cfg-options model.backbone.init_cfg.checkpoint=PATH.
#
# What differs from the real recipe besides sizes, and why: WLASL's augmentation (mixup 0.8,
# cutmix 1.0, crops of 30-100 % of the frame) was made for 14k videos of 224 px; on 800 videos of
# 64 px, where a hand is a few pixels, it hides the very detail that tells a pair of signs apart
# (configs/demo/README.md has the figures). The demo keeps label smoothing, layer decay and the
# schedule's shape, crops 80-100 % of the frame, blends nothing and drops no path (4 blocks).
_base_ = ['../signmae/vit-base-p16_signmae-handarm-pre_16x4x1_wlasl2000.py']

num_classes = 10
img_size = 64
patch_size = 8
num_frames = 8
tubelet_size = 4
frame_interval = 2
embed_dims = 128
depth = 4
max_epochs = 20
warmup_epochs = 2

pretrained = 'work_dirs/signmae-handarm_vit-tiny-p8_8x2x1_signdemo/epoch_20.pth'
# The encoder of configs/demo/signmae-handarm_vit-tiny-p8_8x2x1_signdemo.py.
model = dict(
    backbone=dict(
        img_size=img_size,
        patch_size=patch_size,
        num_frames=num_frames,
        tubelet_size=tubelet_size,
        embed_dims=embed_dims,
        depth=depth,
        num_heads=4,
        drop_path_rate=0.,
        init_cfg=dict(checkpoint=pretrained)),
    cls_head=dict(num_classes=num_classes, in_channels=embed_dims),
    data_preprocessor=dict(blending=None))

# The demo set of tools/make_demo_data.py (same variable names as the base config).
data_root = 'data/demo/videos'
ann_file_train = 'data/demo/train.json'
ann_file_val = 'data/demo/val.json'
ann_file_test = 'data/demo/test.json'


def __at_demo_geometry(pipeline):
    """The base pipeline with the demo's clip length, interval and sizes (224 -> 64), and mild
    crops (80-100 % of the frame)."""
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
        elif 'crop_size' in t:
            t['crop_size'] = scaled(t['crop_size'])
        out.append(t)
    return out


train_pipeline = __at_demo_geometry(_base_.train_pipeline)
val_pipeline = __at_demo_geometry(_base_.val_pipeline)
# The demo clips are 16 frames of 64x64: one 8x2 clip and one crop see all of a video (the
# base's 2 clips x ThreeCrop would only repeat it).
test_pipeline = val_pipeline

data_prefix = dict(video=data_root)
train_dataloader, val_dataloader, test_dataloader = (
    dict(batch_size=32, num_workers=1,
         dataset=dict(ann_file=ann_file, data_prefix=data_prefix, pipeline=pipeline))
    for ann_file, pipeline in ((ann_file_train, train_pipeline), (ann_file_val, val_pipeline),
                               (ann_file_test, test_pipeline)))

# Per-instance top-1/top-5 and per-class top-1 over the classes present in the split.
val_evaluator = dict(type='SignAccMetric')
test_evaluator = val_evaluator

# Short schedule: the base's warm-up + cosine over the demo's epochs, validated at the end.
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
param_scheduler = [
    dict(_base_.param_scheduler[0], end=warmup_epochs),
    dict(_base_.param_scheduler[1], begin=warmup_epochs, T_max=max_epochs - warmup_epochs,
         end=max_epochs)
]
# lr set for the real batch of 32; layer decay over the demo's 4 blocks; the encoder in bfloat16
# where the CPU has it natively (float32 elsewhere): 1.4x the clips per second.
optim_wrapper = dict(
    type='CPUAutocastOptimWrapper', optimizer=dict(lr=2e-3), paramwise_cfg=dict(num_layers=depth))
auto_scale_lr = dict(enable=False)
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=max_epochs, save_best=None, save_last=True, max_keep_ckpts=1))
