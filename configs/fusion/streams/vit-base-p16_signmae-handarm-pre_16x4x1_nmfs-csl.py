# The hand-arm video stream's finetuning, swapped to NMFs-CSL: 1,067 classes (train and
# test lists only: the test split also validates). The encoder is the WLASL2000 pretraining run's;
# for an in-domain pretraining run, set model.backbone.init_cfg.checkpoint.
_base_ = ['../../signmae/vit-base-p16_signmae-handarm-pre_16x4x1_wlasl2000.py']

# The classes of the head and of the mixup / cutmix targets.
num_classes = 1067
model = dict(
    cls_head=dict(num_classes=num_classes),
    data_preprocessor=dict(blending=dict(augments=[
        dict(a, num_classes=num_classes) for a in _base_.model.data_preprocessor.blending.augments
    ])))

data_prefix = dict(video='data/nmfs_csl/videos')
train_dataloader, val_dataloader, test_dataloader = (
    dict(dataset=dict(ann_file=f'data/nmfs_csl/nmfs_csl_{split}.json', data_prefix=data_prefix))
    for split in ('train', 'test', 'test'))
