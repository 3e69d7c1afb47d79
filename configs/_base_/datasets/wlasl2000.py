# WLASL2000: where its videos, sign annotations and split lists are, and the clip geometry of the
# WLASL configs, in one place: 16 frames x interval 4 x 1 clip of 224x224, cut by the ViT into
# tokens of 2 frames x 16x16 pixels. The pipelines sample and crop to it, the mask of pretraining
# cuts it into the encoder's tokens, and the configs give the same values to the encoder
# (`model.backbone`). A config at another geometry changes all of them (configs/demo/ shows how).
# The data of pretraining, recognition (video), heatmaps and fusion build on this file.
num_frames = 16
frame_interval = 4
img_size = 224
patch_size = 16
tubelet_size = 2

dataset_type = 'SignVideoDataset'
data_root = 'data/wlasl/videos'
sign_ann_root = 'data/wlasl/sign_ann'
ann_file_train = 'data/wlasl/wlasl2000_train.json'
ann_file_val = 'data/wlasl/wlasl2000_val.json'
ann_file_test = 'data/wlasl/wlasl2000_test.json'

# Pipeline steps that every stream shares, so that the RGB clips and the heatmaps of a video are
# the same frames and crop: the sampling, the training crop (30-100 % of the frame, then the clip
# size) and the evaluation crop (the centre).
file_client_args = dict(io_backend='disk')
sample = dict(
    type='SampleSignFrames', clip_len=num_frames, frame_interval=frame_interval, num_clips=1)
train_crop = [
    dict(type='Resize', scale=(-1, 256)),
    dict(type='RandomResizedCrop', area_range=(0.3, 1.0)),
    dict(type='Resize', scale=(img_size, img_size), keep_ratio=False)
]
val_crop = [
    dict(type='Resize', scale=(-1, img_size)),
    dict(type='CenterCrop', crop_size=img_size)
]
