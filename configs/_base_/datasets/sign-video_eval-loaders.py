# How sign-video validation and test splits are read: in order, batches of 8 (test: 1, as its
# samples hold several clips and crops) from 8 workers. The data configs that take it set each
# split's `ann_file`, `data_prefix` and `pipeline`.
val_dataloader = dict(
    batch_size=8,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='SignVideoDataset', test_mode=True))
test_dataloader = dict(val_dataloader, batch_size=1)
