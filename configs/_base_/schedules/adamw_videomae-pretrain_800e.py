# VideoMAE's pretraining schedule: AdamW (0.9, 0.95), weight decay 0.05 (none on norms, biases,
# q/v biases, the mask token and position embeddings), lr 1.5e-4 x batch / 256 (auto_scale_lr
# with the total batch over all GPUs), 40 warm-up epochs, then cosine.
max_epochs = 800
warmup_epochs = 40

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1.5e-4, betas=(0.9, 0.95), weight_decay=0.05),
    paramwise_cfg=dict(
        flat_decay_mult=0.,  # every 1-D parameter: norms, biases, q_bias, v_bias
        custom_keys={
            'mask_token': dict(decay_mult=0.),
            'pos_embed': dict(decay_mult=0.)
        }))

param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1e-3,
        by_epoch=True,
        begin=0,
        end=warmup_epochs,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        T_max=max_epochs - warmup_epochs,
        eta_min_ratio=1e-2,
        by_epoch=True,
        begin=warmup_epochs,
        end=max_epochs,
        convert_to_iter_based=True)
]

# lr above is for a total batch of 256; mmengine scales it to the real total batch.
auto_scale_lr = dict(enable=True, base_batch_size=256)
