# SignMAE ViT-B hand-arm pretraining sharded with PyTorch FSDP (GPUs only), through mmengine's
# FlexibleRunner: mmengine 0.10.7 offers FSDP / DeepSpeed / ColossalAI strategies there only (the
# plain Runner does DDP). mmaction2's tools/train.py builds the FlexibleRunner when the config sets
# `runner_type`, so the usual launchers work:
#   mim train mmaction configs/signmae/signmae-handarm_vit-base-p16_fsdp-16x4x1_wlasl2000.py \
#       --launcher pytorch --gpus 8
# Checkpoints are written by the strategy (full state dict gathered on rank 0).
_base_ = ['./signmae-handarm_vit-base-p16_amp-16x4x1_wlasl2000.py']

runner_type = 'FlexibleRunner'
strategy = dict(
    type='FSDPStrategy',
    # shard every submodule of 10M+ parameters (roughly one ViT-B block and up)
    model_wrapper=dict(
        auto_wrap_policy=dict(
            type='torch.distributed.fsdp.wrap.size_based_auto_wrap_policy',
            min_num_params=10_000_000)))
# FSDP brings its own mixed precision and gradient handling: a plain optimizer wrapper
optim_wrapper = dict(type='OptimWrapper')
