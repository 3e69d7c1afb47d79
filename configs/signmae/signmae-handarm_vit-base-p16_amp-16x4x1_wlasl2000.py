# GPU variant of SignMAE's ViT-B hand-arm pretraining: mixed precision through mmengine's
# AmpOptimWrapper (fp16 autocast with a dynamic loss scale, as VideoMAE); attention already runs
# through scaled_dot_product_attention (flash / memory-efficient kernels on the GPU).
_base_ = ['./signmae-handarm_vit-base-p16_16x4x1_wlasl2000.py']

optim_wrapper = dict(type='AmpOptimWrapper', loss_scale='dynamic')
# pinned host memory: the clips' copies to the GPU overlap the step
train_dataloader = dict(batch_size=32, pin_memory=True)
env_cfg = dict(cudnn_benchmark=True)
