# Finetuning the encoder pretrained on your own sign clips
# (signmae-handarm_vit-tiny-p8_8x2x1_folder.py) at the demo's CPU size. Set the number of
# classes: --cfg-options model.cls_head.num_classes=N (N = lines of folder_classes.txt).
_base_ = ['../demo/vit-tiny-p8_signmae-handarm-pre_8x2x1_signdemo.py']

model = dict(
    backbone=dict(init_cfg=dict(
        checkpoint='work_dirs/signmae-handarm_vit-tiny-p8_8x2x1_folder/epoch_20.pth')))

data_prefix = dict(video='data/my_signs/videos')
train_dataloader, val_dataloader, test_dataloader = (
    dict(dataset=dict(ann_file=f'data/my_signs/annotations/folder_{split}.json',
                      data_prefix=data_prefix)) for split in ('train', 'val', 'test'))
