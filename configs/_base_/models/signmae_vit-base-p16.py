# VideoMAE-style pretraining model, ViT-B/16 encoder (SignMAE: VideoMAE's recipe).
# The clip geometry (img_size, num_frames, patch_size, tubelet_size) is the data's: the
# pretraining configs set it on the backbone from their dataset base, which also gives it to the
# pipeline and the mask; the decoder and the head take it from the backbone.

# VideoMAE's transformer block, in the encoder and the decoder alike.
__block = dict(mlp_ratio=4, qkv_bias=True, norm_cfg=dict(type='LN', eps=1e-6))
model = dict(
    type='VideoMAEPretrainer',
    # Runs on the visible tokens only; its weights load into mmaction2's VisionTransformer
    # (all keys but `norm`, which finetuning replaces by a fresh `fc_norm`).
    backbone=dict(
        type='MaskedVisionTransformer', embed_dims=768, depth=12, num_heads=12, **__block),
    # VideoMAE's decoder for ViT-B: width 384, 6 heads, depth 4.
    neck=dict(type='VideoMAEDecoder', embed_dims=384, depth=4, num_heads=6, **__block),
    # Per-tubelet normalised pixels, MSE on the masked tokens.
    head=dict(type='PixelReconstructionHead', norm_pix=True, loss=dict(type='MaskedMSELoss')),
    # None: the decoder reconstructs every masked token; 0.5: VideoMAE V2's dual masking.
    decoder_keep_ratio=None,
    data_preprocessor=dict(
        type='MaskedVideoDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        format_shape='NCTHW'))
