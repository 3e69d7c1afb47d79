# Late fusion on Slovo (1,001 classes; the test split also validates): the WLASL2000 late-fusion
# config with the slovo streams' checkpoints and data (the classes come from the streams).
_base_ = ['./late-fusion_vit-b-handarm-tube_heatmap-c3d_16x4x1_wlasl2000.py']

model = dict(
    streams=dict(
        rgb_handarm=dict(
            checkpoint='work_dirs/vit-base-p16_signmae-handarm-pre_16x4x1_slovo/best_*.pth'),
        rgb_tube=dict(
            checkpoint='work_dirs/vit-base-p16_signmae-tube-pre_16x4x1_slovo/best_*.pth'),
        heatmap=dict(checkpoint='work_dirs/heatmap-c3d_nla63-112px_16x4x1_slovo/best_*.pth')))

data_prefix = dict(video='data/slovo', sign_ann='data/slovo/sign_ann')
val_dataloader = dict(
    dataset=dict(ann_file='data/slovo/slovo_test.json', data_prefix=data_prefix))
test_dataloader = dict(
    dataset=dict(ann_file='data/slovo/slovo_test.json', data_prefix=data_prefix))
