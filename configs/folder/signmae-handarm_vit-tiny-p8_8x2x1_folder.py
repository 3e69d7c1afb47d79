# SignMAE hand-arm pretraining on your own sign clips, at the demo's CPU size (README: "Your own
# sign videos"): the demo pretraining config with the folder dataset of
#   python tools/convert_datasets.py folder data/my_signs/videos --out-dir data/my_signs/annotations
# and its MediaPipe sign annotations in data/my_signs/sign_ann. Another folder:
#   --cfg-options train_dataloader.dataset.ann_file=... (and .data_prefix.video / .sign_ann).
_base_ = ['../demo/signmae-handarm_vit-tiny-p8_8x2x1_signdemo.py']

train_dataloader = dict(
    dataset=dict(
        ann_file='data/my_signs/annotations/folder_train.json',
        data_prefix=dict(video='data/my_signs/videos', sign_ann='data/my_signs/sign_ann')))
