# Entry point of SignMAE pretraining: ViT-B/16, hand-arm mask 0.9, 16x4x1 clips of 224x224.
#   mim train mmaction configs/signmae_pretrain.py --cfg-options \
#       train_dataloader.dataset.ann_file=... train_dataloader.dataset.data_prefix.video=... \
#       train_dataloader.dataset.data_prefix.sign_ann=...
# Variants in configs/signmae/: tube-masking twin, ViT-S / ViT-L, GPU (AMP), dual masking, and
# the finetuning config (mmaction2's Recognizer3D + VisionTransformer).
_base_ = ['./signmae/signmae-handarm_vit-base-p16_16x4x1_wlasl2000.py']
