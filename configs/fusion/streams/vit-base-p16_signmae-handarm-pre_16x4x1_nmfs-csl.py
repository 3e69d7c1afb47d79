# The hand-arm video stream's finetuning, swapped to NMFs-CSL: 1,067 classes (train and
# test lists only: the test split also validates). The encoder is the WLASL2000 pretraining
# run's; for an in-domain pretraining run, set model.backbone.init_cfg.checkpoint.
_base_ = ['../../signmae/vit-base-p16_signmae-handarm-pre_16x4x1_wlasl2000.py']

num_classes = 1067
model = dict(
    cls_head=dict(num_classes=num_classes),
    data_preprocessor=dict(
        blending=dict(augments=[
            dict(type='MixupBlending', alpha=0.8, num_classes=num_classes),
            dict(type='CutmixBlending', alpha=1.0, num_classes=num_classes)
        ])))

data_prefix = dict(video='data/nmfs_csl/videos')
train_dataloader = dict(
    dataset=dict(ann_file='data/nmfs_csl/nmfs_csl_train.json', data_prefix=data_prefix))
val_dataloader = dict(
    dataset=dict(ann_file='data/nmfs_csl/nmfs_csl_test.json', data_prefix=data_prefix))
test_dataloader = dict(
    dataset=dict(ann_file='data/nmfs_csl/nmfs_csl_test.json', data_prefix=data_prefix))
