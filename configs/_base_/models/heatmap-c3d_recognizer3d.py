# Keypoint-heatmap stream: mmaction2's stock Recognizer3D + our HeatmapC3D (PoseC3D's SlowOnly
# ResNet3d, 63 heatmap channels at 112x112) + I3DHead, as PoseC3D. Heatmaps are not normalised.
# Set `num_classes` in the head.
num_classes = 2000
model = dict(
    type='Recognizer3D',
    backbone=dict(
        type='HeatmapC3D',
        in_channels=63,
        depth=50,
        base_channels=32,
        num_stages=3,
        stage_blocks=(4, 6, 3),
        out_indices=(2, ),
        conv1_kernel=(1, 7, 7),
        conv1_stride_s=2,
        pool1_stride_s=1,
        inflate=(0, 1, 1),
        spatial_strides=(2, 2, 2),
        temporal_strides=(1, 1, 2),
        dilations=(1, 1, 1)),
    cls_head=dict(
        type='I3DHead',
        in_channels=512,
        num_classes=num_classes,
        dropout_ratio=0.5,
        average_clips='prob'),
    data_preprocessor=dict(type='ActionDataPreprocessor', format_shape='NCTHW'))
