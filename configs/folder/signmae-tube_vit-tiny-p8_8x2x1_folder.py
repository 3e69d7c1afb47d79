# Tube-masking pretraining on your own sign clips (the second video stream of the fusion): the
# demo's tube pretraining with the folder dataset, as signmae-handarm_vit-tiny-p8_8x2x1_folder.py.
_base_ = ['../demo/signmae-tube_vit-tiny-p8_8x2x1_signdemo.py']

train_dataloader = dict(
    dataset=dict(
        ann_file='data/my_signs/annotations/folder_train.json',
        data_prefix=dict(video='data/my_signs/videos', sign_ann='data/my_signs/sign_ann')))
