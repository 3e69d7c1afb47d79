# Learned fusion on NMFs-CSL (1,067 classes; the test split also validates): the WLASL2000
# learned-fusion config with the nmfs-csl streams' checkpoints and data.
_base_ = ['./learned-fusion_vit-b-handarm-tube_heatmap-c3d_16x4x1_wlasl2000.py']

model = dict(
    streams=dict(
        rgb_handarm=dict(
            checkpoint='work_dirs/vit-base-p16_signmae-handarm-pre_16x4x1_nmfs-csl/best_*.pth'),
        rgb_tube=dict(
            checkpoint='work_dirs/vit-base-p16_signmae-tube-pre_16x4x1_nmfs-csl/best_*.pth'),
        heatmap=dict(checkpoint='work_dirs/heatmap-c3d_nla63-112px_16x4x1_nmfs-csl/best_*.pth')))

data_prefix = dict(video='data/nmfs_csl/videos', sign_ann='data/nmfs_csl/sign_ann')
train_dataloader = dict(
    dataset=dict(ann_file='data/nmfs_csl/nmfs_csl_train.json', data_prefix=data_prefix))
val_dataloader = dict(
    dataset=dict(ann_file='data/nmfs_csl/nmfs_csl_test.json', data_prefix=data_prefix))
test_dataloader = dict(
    dataset=dict(ann_file='data/nmfs_csl/nmfs_csl_test.json', data_prefix=data_prefix))
