# Keypoint heatmaps of NLA-SLR's 63 COCO-WholeBody keypoints (upper body 0-10, every second mouth
# point of 71-90, both hands 91-132), one Gaussian per point, drawn by mmaction2's
# GeneratePoseTarget at half the clip size (112x112 for 224 clips). Sigma: NLA-SLR's 8 px on a
# 256 map -> 3.5 px on our 112 map; no score weighting (detected points at full height,
# undetected ones not drawn). The steps of the heatmap stream's data and of the fusion's.
heatmap_sigma = 3.5  # pixels of the 112x112 heatmap (8 px on a 256 map)

keypoints = [
    dict(type='LoadSignAnnotation', with_pose_keys=True),
    dict(type='SelectKeypoints', keypoints='nla_slr_63')
]
heatmaps = dict(
    type='GeneratePoseTarget',
    sigma=heatmap_sigma,
    use_score=True,
    with_kp=True,
    with_limb=False,
    scaling=0.5)
