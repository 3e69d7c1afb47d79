# Finetuning model: mmaction2's stock Recognizer3D + VisionTransformer (mean pooling, fc_norm)
# + TimeSformerHead, with VideoMAE's finetuning regularisation (drop path 0.1, label smoothing
# 0.1, mixup 0.8 / cutmix 1.0). Set `num_classes` in both the head and the blending; the clip
# geometry (img_size, num_frames, patch_size, tubelet_size) is the data's: the finetuning
# configs set it from their dataset base.
num_classes = 2000
model = dict(
    type='Recognizer3D',
    backbone=dict(
        type='VisionTransformer',
        embed_dims=768,
        depth=12,
        num_heads=12,
        mlp_ratio=4,
        qkv_bias=True,
        norm_cfg=dict(type='LN', eps=1e-6),
        drop_path_rate=0.1,
        use_mean_pooling=True),
    cls_head=dict(
        type='TimeSformerHead',
        num_classes=num_classes,
        in_channels=768,
        label_smooth_eps=0.1,
        average_clips='prob'),
    data_preprocessor=dict(
        type='ActionDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        format_shape='NCTHW',
        blending=dict(
            type='RandomBatchAugment',
            augments=[
                dict(type='MixupBlending', alpha=0.8, num_classes=num_classes),
                dict(type='CutmixBlending', alpha=1.0, num_classes=num_classes)
            ])))
