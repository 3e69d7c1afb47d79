# The GPU (AMP) hand-arm pretraining with 4 views per decoded video: each video is opened and
# decoded once and gives 4 crops, each with its own hand-arm mask (docs/input_pipeline.md), so the
# data workers feed 4x the clips per core. VideoMAE V2's convention (its num_sample): an epoch is
# one pass over the videos, the learning rate scales with the videos per step (auto_scale_lr on
# batch_size), and a step holds batch_size x 4 clips (4x the memory of the AMP config's step: for
# the same memory, set train_dataloader.batch_size=8; the learning rate follows).
_base_ = ['./signmae-handarm_vit-base-p16_amp-16x4x1_wlasl2000.py']

train_dataloader = dict(
    dataset=dict(num_repeats=4), collate_fn=dict(type='flatten_views_collate'))
