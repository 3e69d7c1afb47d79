# Finetuning the encoder pretrained on your own sign clips
# (signmae-handarm_vit-tiny-p16_8x2x1_folder.py) at the demo's CPU size. Set the number of
# classes: --cfg-options model.cls_head.num_classes=N (N = lines of folder_classes.txt).
_base_ = ['../demo/vit-tiny-p16_signmae-handarm-pre_8x2x1_signdemo.py']

custom_imports = dict(imports=['signmae_mm'], allow_failed_imports=False)
default_scope = 'mmaction'

model = dict(
    backbone=dict(init_cfg=dict(
        checkpoint='work_dirs/signmae-handarm_vit-tiny-p16_8x2x1_folder/epoch_26.pth')))

__videos = dict(video='data/my_signs/videos')
train_dataloader = dict(dataset=dict(ann_file='data/my_signs/annotations/folder_train.json',
                                     data_prefix=__videos))
val_dataloader = dict(dataset=dict(ann_file='data/my_signs/annotations/folder_val.json',
                                   data_prefix=__videos))
test_dataloader = dict(dataset=dict(ann_file='data/my_signs/annotations/folder_test.json',
                                    data_prefix=__videos))
