# Late fusion of the three streams trained on your own clips (the folder configs beside this
# one): the demo's late fusion with their checkpoints and the folder dataset with its MediaPipe
# sign annotations. Weights: tools/fuse_scores.py on the streams' validation dumps (configs/
# fusion/README.md), then mim test ... --checkpoint <its --save-checkpoint>.
_base_ = ['../demo/late-fusion_vit-tiny-handarm-tube_heatmap-c3d_8x2x1_signdemo.py']

model = dict(
    streams=dict(
        rgb_handarm=dict(
            checkpoint='work_dirs/vit-tiny-p8_signmae-handarm-pre_8x2x1_folder/epoch_*.pth'),
        rgb_tube=dict(checkpoint='work_dirs/vit-tiny-p8_signmae-tube-pre_8x2x1_folder/epoch_*.pth'),
        heatmap=dict(checkpoint='work_dirs/heatmap-c3d_nla63-32px_8x2x1_folder/epoch_*.pth')))

data_prefix = dict(video='data/my_signs/videos', sign_ann='data/my_signs/sign_ann')
val_dataloader, test_dataloader = (
    dict(dataset=dict(ann_file=f'data/my_signs/annotations/folder_{split}.json',
                      data_prefix=data_prefix)) for split in ('val', 'test'))
