# SignMAE hand-arm pretraining on the built-in demo set, sized for a CPU: the entry-point recipe
# (configs/signmae_pretrain.py: VideoMAE, hand-arm mask 0.9) with a tiny ViT (128 wide, 4 blocks),
# 8 frames x interval 2 of 64x64 (the demo clips: 16 frames of 64x64) in tokens of 4 x 8 x 8
# pixels (2 x 8 x 8 = 128 tokens), so that a hand spans more than one token across (1.4, as
# configs/demo/README.md measures; 0.7 in 16-px patches, where its shape was a few pixels of
# one token).
#   python tools/make_demo_data.py data/demo
#   mim train mmaction configs/demo/signmae-handarm_vit-tiny-p8_8x2x1_signdemo.py
# Only sizes, data paths and the schedule differ from the real config; the pipeline is the real
# one with the clip geometry swapped in. On a CPU, clips per second buy the accuracy: at 64
# tokens a step of 32 clips takes about 0.3 s on 2 cores (benchmarks/README.md).
_base_ = ['../signmae_pretrain.py']

img_size = 64
patch_size = 8
num_frames = 8
tubelet_size = 4
frame_interval = 2
# 0.75, not VideoMAE's 0.9: of 128 tokens 0.9 leaves 13 visible, too few for the encoder to see
# a hand and enough of the signer around it (linear probes in configs/demo/README.md).
mask_ratio = 0.75
max_epochs = 20
warmup_epochs = 1

# Tiny encoder (128 wide, 4 blocks, 4 heads) and a 2-block decoder half as wide, with
# mmaction2's explicit attention: on a CPU, at 32 visible and 128 decoded tokens, SDPA's fused
# kernel is the slower one (2-10x per attention call in bfloat16; benchmarks/README.md).
model = dict(
    backbone=dict(
        img_size=img_size,
        patch_size=patch_size,
        num_frames=num_frames,
        tubelet_size=tubelet_size,
        embed_dims=128,
        depth=4,
        num_heads=4,
        use_sdpa=False),
    neck=dict(embed_dims=64, depth=2, num_heads=2, use_sdpa=False))

# The demo set of tools/make_demo_data.py (same variable names as the base config).
data_root = 'data/demo/videos'
sign_ann_root = 'data/demo/sign_ann'
ann_file_train = 'data/demo/train.json'
# The real pipeline at the demo's clip geometry (every other argument as in the base), with
# milder multi-scale crops (VideoMAE's go down to 66 % of the side: on 64 px clips that cuts
# away hands that are a dozen pixels tall, and the reconstruction loss stalls near its floor).
__geometry = dict(
    SampleSignFrames=dict(clip_len=num_frames, frame_interval=frame_interval),
    MultiScaleCrop=dict(input_size=img_size, scales=(1, 0.875)),
    Resize=dict(scale=(img_size, img_size)),
    SegmentGuidedHandMask=dict(
        ratio=mask_ratio,
        input_size=(num_frames, img_size, img_size),
        patch_size=patch_size,
        tubelet_size=tubelet_size))
train_pipeline = [dict(t, **__geometry.get(t['type'], {})) for t in _base_.train_pipeline]
train_dataloader = dict(
    batch_size=32,
    num_workers=1,
    persistent_workers=True,
    dataset=dict(
        ann_file=ann_file_train,
        data_prefix=dict(video=data_root, sign_ann=sign_ann_root),
        pipeline=train_pipeline))

# Short schedule: the base's warm-up + cosine over the demo's epochs.
train_cfg = dict(max_epochs=max_epochs)
param_scheduler = [
    dict(_base_.param_scheduler[0], end=warmup_epochs),
    dict(_base_.param_scheduler[1], begin=warmup_epochs, T_max=max_epochs - warmup_epochs,
         end=max_epochs)
]
# lr set for the real batch of 32. Encoder and decoder in bfloat16 where the CPU has it natively
# (AVX512-BF16 / AMX; float32 elsewhere): 1.3x the clips per second (benchmarks/README.md).
optim_wrapper = dict(type='CPUAutocastOptimWrapper', optimizer=dict(lr=1.5e-3))
auto_scale_lr = dict(enable=False)

# Keep the final encoder only (the finetuning config loads epoch_{max_epochs}.pth).
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=max_epochs, save_last=True, max_keep_ckpts=1))
