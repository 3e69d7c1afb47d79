# SignMAE hand-arm pretraining with a ViT-L/16 encoder: only the backbone differs from ViT-B
# (the decoder reads the encoder width from the backbone).
_base_ = ['./signmae-handarm_vit-base-p16_16x4x1_wlasl2000.py']

custom_imports = dict(imports=['signmae_mm'], allow_failed_imports=False)
default_scope = 'mmaction'

model = dict(backbone=dict(embed_dims=1024, depth=24, num_heads=16))
