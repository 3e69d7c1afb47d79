# How a sign-video training split is drawn: batches of 8 from 8 workers; SeededSampler: each
# sample's random crops / masks come from (seed, epoch, index), which makes resumed runs exact;
# max_bad_ratio: bad videos are logged and replaced, up to 1%. The data configs that take it
# set the split's `ann_file`, `data_prefix` and `pipeline`.
train_dataloader = dict(
    batch_size=8,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='SeededSampler', shuffle=True),
    dataset=dict(type='SignVideoDataset', max_bad_ratio=0.01, min_bad_count=10))
