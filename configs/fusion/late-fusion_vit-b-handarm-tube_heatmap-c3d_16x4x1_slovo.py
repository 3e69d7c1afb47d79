# Late fusion on Slovo (1,001 classes; the test split also validates): the
# WLASL2000 late-fusion config with the streams' checkpoints and data of Slovo.
_base_ = ['./late-fusion_vit-b-handarm-tube_heatmap-c3d_16x4x1_wlasl2000.py']

# The streams as finetuned on Slovo (the stream configs' `slovo` work dirs).
model = dict(streams={
    name: dict(checkpoint=stream.checkpoint.replace('_wlasl2000/', '_slovo/'))
    for name, stream in _base_.model.streams.items()
})

data_prefix = dict(video='data/slovo', sign_ann='data/slovo/sign_ann')
val_dataloader = test_dataloader = dict(
    dataset=dict(ann_file='data/slovo/slovo_test.json', data_prefix=data_prefix))
