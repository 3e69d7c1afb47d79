# Learned fusion on NMFs-CSL (1,067 classes; the test split also validates): the
# WLASL2000 learned-fusion config with the streams' checkpoints and data of NMFs-CSL.
_base_ = ['./learned-fusion_vit-b-handarm-tube_heatmap-c3d_16x4x1_wlasl2000.py']

# The streams as finetuned on NMFs-CSL (the stream configs' `nmfs-csl` work dirs).
model = dict(streams={
    name: dict(checkpoint=stream.checkpoint.replace('_wlasl2000/', '_nmfs-csl/'))
    for name, stream in _base_.model.streams.items()
})

data_prefix = dict(video='data/nmfs_csl/videos', sign_ann='data/nmfs_csl/sign_ann')
train_dataloader, val_dataloader, test_dataloader = (
    dict(dataset=dict(ann_file=f'data/nmfs_csl/nmfs_csl_{split}.json', data_prefix=data_prefix))
    for split in ('train', 'test', 'test'))
