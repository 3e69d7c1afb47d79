# The WLASL2000 heatmap stream, swapped to NMFs-CSL: 1,067 classes; lists from
# `tools/convert_datasets.py nmfs-csl ... --out-dir data/nmfs_csl` (train and test only: the
# test split also validates).
_base_ = ['./heatmap-c3d_nla63-112px_16x4x1_wlasl2000.py']

model = dict(cls_head=dict(num_classes=1067))

data_prefix = dict(video='data/nmfs_csl/videos', sign_ann='data/nmfs_csl/sign_ann')
train_dataloader, val_dataloader, test_dataloader = (
    dict(dataset=dict(ann_file=f'data/nmfs_csl/nmfs_csl_{split}.json', data_prefix=data_prefix))
    for split in ('train', 'test', 'test'))
