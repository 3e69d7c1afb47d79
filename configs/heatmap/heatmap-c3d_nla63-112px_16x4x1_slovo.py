# The WLASL2000 heatmap stream, swapped to Slovo: 1,000 signs + "no_event" = 1,001 classes;
# lists from `tools/convert_datasets.py slovo ... --out-dir data/slovo` (train and test only:
# the test split also validates).
_base_ = ['./heatmap-c3d_nla63-112px_16x4x1_wlasl2000.py']

model = dict(cls_head=dict(num_classes=1001))

data_prefix = dict(video='data/slovo', sign_ann='data/slovo/sign_ann')
train_dataloader, val_dataloader, test_dataloader = (
    dict(dataset=dict(ann_file=f'data/slovo/slovo_{split}.json', data_prefix=data_prefix))
    for split in ('train', 'test', 'test'))
