# The keypoint-heatmap stream on your own clips at the demo's CPU size: the demo's heatmap
# stream reading the MediaPipe sign annotations that tools/preprocess.py made for the clips
# (README: "Your own sign videos", step 2; keypoints as MediaPipe gives them, no noise added).
# Set the number of classes: --cfg-options model.cls_head.num_classes=N.
_base_ = ['../demo/heatmap-c3d_nla63-32px_8x2x1_signdemo.py']

data_prefix = dict(video='data/my_signs/videos', sign_ann='data/my_signs/sign_ann')
train_dataloader, val_dataloader, test_dataloader = (
    dict(dataset=dict(ann_file=f'data/my_signs/annotations/folder_{split}.json',
                      data_prefix=data_prefix)) for split in ('train', 'val', 'test'))
