# SignMAE hand-arm pretraining with a ViT-S/16 encoder and VideoMAE's decoder for it
# (192 wide, 3 heads, depth 4 as for ViT-B), so that VideoMAE's ViT-S checkpoints load.
_base_ = ['./signmae-handarm_vit-base-p16_16x4x1_wlasl2000.py']

model = dict(
    backbone=dict(embed_dims=384, depth=12, num_heads=6),
    neck=dict(embed_dims=192, num_heads=3))
