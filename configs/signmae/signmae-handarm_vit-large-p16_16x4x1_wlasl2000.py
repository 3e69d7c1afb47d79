# SignMAE hand-arm pretraining with a ViT-L/16 encoder and VideoMAE's decoder for it
# (512 wide, 8 heads, depth 4 as for ViT-B), so that VideoMAE's ViT-L checkpoints load.
_base_ = ['./signmae-handarm_vit-base-p16_16x4x1_wlasl2000.py']

model = dict(
    backbone=dict(embed_dims=1024, depth=24, num_heads=16),
    neck=dict(embed_dims=512, num_heads=8))
