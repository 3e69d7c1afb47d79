# WLASL2000 as RGB clips and keypoint heatmaps of the same frames and crop, for the fusion of the
# video and heatmap streams: RGB at 224x224 as the video streams', heatmaps (nla63-heatmaps.py)
# of the same crop at 112x112 as the heatmap stream's. Validation and test only (test: 2 clips,
# centre crop: mmaction2's ThreeCrop moves no keypoints); `train_pipeline` (the video streams'
# training crop, no flip: they were finetuned without) serves the learned fusion. Not derived
# from the video or heatmap data: mmengine would bring their training loader along, and late
# fusion has nothing to train.
_base_ = ['./wlasl2000.py', './nla63-heatmaps.py', './sign-video_eval-loaders.py']

# The clip and its keypoints, the crop of both, then heatmaps of the cropped keypoints.
heatmaps_and_pack = [
    _base_.heatmaps,
    dict(type='ClipLenPerModality'),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs', collect_keys=('imgs', 'heatmap_imgs'))
]
train_pipeline = [
    dict(type='DecordInit', **_base_.file_client_args), _base_.sample,
    dict(type='DecordDecode'), *_base_.keypoints, *_base_.train_crop, *heatmaps_and_pack
]
val_pipeline = [
    dict(type='DecordInit', **_base_.file_client_args), dict(_base_.sample, test_mode=True),
    dict(type='DecordDecode'), *_base_.keypoints, *_base_.val_crop, *heatmaps_and_pack
]
test_pipeline = [
    dict(t, num_clips=2) if t['type'] == 'SampleSignFrames' else t for t in val_pipeline
]

# 4 workers: a sample holds the clip and its 63 heatmaps.
data_prefix = dict(video=_base_.data_root, sign_ann=_base_.sign_ann_root)
val_dataloader = dict(
    batch_size=4,
    num_workers=4,
    dataset=dict(ann_file=_base_.ann_file_val, data_prefix=data_prefix, pipeline=val_pipeline))
test_dataloader = dict(
    num_workers=4,
    dataset=dict(ann_file=_base_.ann_file_test, data_prefix=data_prefix, pipeline=test_pipeline))

# Per-instance top-1/top-5 and per-class top-1 over the classes present in the split.
val_evaluator = dict(type='SignAccMetric')
test_evaluator = val_evaluator
