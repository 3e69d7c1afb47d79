"""The MediaPipe backend (``tools/preprocess.py --pose-backend mediapipe``) on a real clip
(MediaPipe Holistic, no weight files): hands found, part maps where the hand keypoints are, the
hand-arm mask on the hands after ``RandomResizedCrop`` + ``Flip``, left / right on a mirrored
clip, and the missing-extra error of the tool.

The clip is a 2.5 s cut of mmaction2's ``tools/data/skeleton/S001C001P001R001A001_rgb.avi`` (NTU
RGB+D, "drink water", Apache-2.0, see ``tests/data/README.md``): a person lifts a cup to the mouth
with the left hand while the right hand hangs down.
"""
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from signmae_mm.structures import KEYPOINT_RANGES, PART_GROUPS, load_sign_annotation
from signmae_mm.testing import write_video

REPO = Path(__file__).resolve().parents[2]
CLIP = REPO / 'tests' / 'data' / 'ntu_drink_s001c001p001r001a001.mp4'
GRID = 32
LH, RH = KEYPOINT_RANGES['left_hand'], KEYPOINT_RANGES['right_hand']
L_SHOULDER, R_SHOULDER, L_WRIST, R_WRIST = 5, 6, 9, 10

needs_mediapipe = pytest.mark.requires('mediapipe')


def _frames(path: Path) -> np.ndarray:
    """BGR frames of a video, as the preprocessing reads them."""
    from signmae_mm.preprocessing import VideoFrames
    with VideoFrames(str(path)) as reader:
        return reader.read(0, len(reader))


@pytest.fixture(scope='module')
def run(tmp_path_factory):
    """The run of ``tools/preprocess.py --pose-backend mediapipe`` on a folder holding the real
    clip, through the package."""
    from signmae_mm.preprocessing import (PreprocessRunner, VideoAnnotator, build_part_maps,
                                          build_pose_source, resolve_video_list)
    root = tmp_path_factory.mktemp('videos')
    out = tmp_path_factory.mktemp('out')
    os.symlink(CLIP, root / CLIP.name)
    videos = resolve_video_list(str(root), str(out))
    with build_pose_source('mediapipe') as holistic:
        annotator = VideoAnnotator(holistic, build_part_maps(grid_size=GRID, silhouette=True))
        PreprocessRunner(annotator, videos.video_root, str(out)).run(
            videos.items, out_list=videos.out_list, metainfo=videos.metainfo)
    stem = CLIP.name[:-4]
    return dict(root=root, out=out, list=out / f'{root.name}.json',
                summary=json.loads((out / 'preprocess_summary.json').read_text()),
                meta=json.loads((out / f'{stem}.meta.json').read_text()),
                ann=load_sign_annotation(str(out / f'{stem}.npz')),
                npz=out / f'{stem}.npz')


@needs_mediapipe
def test_tool_writes_annotations_the_dataset_loads(run):
    from mmaction.registry import DATASETS
    from mmengine.registry import DefaultScope
    summary, meta, ann = run['summary'], run['meta'], run['ann']
    assert (summary['done'], summary['failed']) == (1, 0)
    assert summary['part_map_sources'] == {'mediapipe-holistic': 1}
    assert meta['keypoint_source'] == meta['part_map_source'] == 'mediapipe-holistic'
    assert meta['person_source'] == 'mediapipe' and meta['settings']['pose_backend'] == 'mediapipe'
    assert str(ann['part_map_source']) == 'mediapipe-holistic'
    t = meta['total_frames']
    assert t == 75 and ann['part_maps'].shape == (t, len(PART_GROUPS), GRID, GRID)
    with DefaultScope.overwrite_default_scope('mmaction'):
        ds = DATASETS.build(dict(
            type='SignVideoDataset', ann_file=str(run['list']),
            data_prefix=dict(video=str(run['root']), sign_ann=str(run['out'])), pipeline=[],
            check_videos=True))
    assert len(ds) == 1 and ds.get_data_info(0)['keypoint_source'] == 'mediapipe-holistic'


@needs_mediapipe
def test_person_and_hands_are_found(run):
    ann = run['ann']
    kps, scores, boxes = ann['keypoints'], ann['keypoint_scores'], ann['person_bboxes']
    h, w = ann['img_shape']
    assert boxes.any(1).all()  # the person in every frame
    # shoulders and wrists seen in every frame, inside the person box
    upper = [L_SHOULDER, R_SHOULDER, L_WRIST, R_WRIST]
    assert (scores[:, upper] > 0.5).all()
    pts = kps[:, upper]
    assert ((pts >= boxes[:, None, :2] - 1) & (pts <= boxes[:, None, 2:] + 1)).all()
    # measured on this clip: left hand in 49 / 75 frames (it holds the cup), right in 67
    left, right = (scores[:, LH[0]:LH[1]] > 0).all(1), (scores[:, RH[0]:RH[1]] > 0).all(1)
    assert left.mean() > 0.5 and right.mean() > 0.7, (left.sum(), right.sum())
    # a hand lies at its own wrist (Holistic's hands hang off the pose's wrists)
    for rng, wrist, found in ((LH, L_WRIST, left), (RH, R_WRIST, right)):
        d = np.linalg.norm(kps[found, rng[0]] - kps[found, wrist], axis=-1)
        assert np.median(d) < 0.05 * h, np.median(d)
    # facing the camera, the subject's right shoulder is on the image's left
    assert (kps[:, R_SHOULDER, 0] < kps[:, L_SHOULDER, 0]).mean() > 0.9
    # never a made-up position: a point with score 0 sits at (0, 0)
    assert (kps[scores == 0] == 0).all()
    # the small toes are not a MediaPipe point
    assert (scores[:, [18, 21]] == 0).all()
    assert 0 < w


@needs_mediapipe
def test_face_points_follow_the_coco_wholebody_order(run):
    """Face points (iBUG 68 order, "right" = the subject's) on the facing subject of frame 0."""
    ann = run['ann']
    face = ann['keypoints'][0, 23:91]
    assert (ann['keypoint_scores'][0, 23:91] > 0).all()
    right_eye, left_eye = face[36:42].mean(0), face[42:48].mean(0)
    assert right_eye[0] < left_eye[0]  # subject's right eye on the image's left
    nose_tip, chin, mouth = face[30], face[8], face[48:68].mean(0)
    assert right_eye[1] < nose_tip[1] < mouth[1] < chin[1]  # top to bottom
    assert face[0, 0] < face[8, 0] < face[16, 0]  # jaw from the subject's right to left


@needs_mediapipe
def test_hand_part_maps_lie_at_the_hand_keypoints(run):
    ann = run['ann']
    kps, scores, maps = ann['keypoints'], ann['keypoint_scores'], ann['part_maps']
    h, w = ann['img_shape']
    checked = 0
    for g, rng in enumerate((LH, RH)):  # part groups 0 / 1 = left / right hand
        for t in np.flatnonzero((scores[:, rng[0]:rng[1]] > 0).all(1)):
            pts = kps[t, rng[0]:rng[1]]
            cells = np.floor(pts / [w / GRID, h / GRID]).astype(int).clip(0, GRID - 1)
            hand_map = maps[t, g]
            # every hand keypoint's cell is covered by its own hand's map ...
            assert (hand_map[cells[:, 1], cells[:, 0]] > 0).all(), (g, t)
            # ... and the map lies around those keypoints (within 2 cells of their box)
            lo, hi = cells.min(0) - 2, cells.max(0) + 2
            inside = hand_map[max(lo[1], 0):hi[1] + 1, max(lo[0], 0):hi[0] + 1].sum()
            assert inside >= 0.98 * hand_map.sum(), (g, t)
            checked += 1
    assert checked > 100
    # frames without a hand have an empty map for it (a wrist alone draws no hand)
    for g, rng in enumerate((LH, RH)):
        assert maps[~(scores[:, rng[0]:rng[1]] > 0).any(1), g].sum() == 0


@needs_mediapipe
def test_silhouette_trims_the_arms_not_the_hands(run):
    """The part maps are the keypoint part maps trimmed to the selfie-segmentation silhouette."""
    from signmae_mm.preprocessing import KeypointPartMaps
    ann = run['ann']
    plain = KeypointPartMaps(GRID)(None, tuple(ann['img_shape']), ann['keypoints'],
                                   ann['keypoint_scores'], ann['person_bboxes'])
    plain, trimmed = plain.astype(int), ann['part_maps'].astype(int)
    assert (trimmed <= plain).all()  # trimming only removes
    hands, arms = slice(0, 2), slice(2, 6)
    assert (trimmed[:, hands] == plain[:, hands]).all()  # hands untouched
    # the arm capsules stick out of the body outline a little (measured: 1-9 % per arm part)
    removed = 1 - trimmed[:, arms].sum() / plain[:, arms].sum()
    assert 0.005 < removed < 0.3, removed


@needs_mediapipe
def test_hand_arm_mask_covers_the_hand_keypoint_tokens(run):
    """After RandomResizedCrop + Resize + Flip, SegmentGuidedHandMask masks the tokens that hold
    the hand keypoints (mapped here from the recorded crop and flip, independently of the mask's
    own geometry code)."""
    import signmae_mm  # noqa: F401  (registers the transforms)
    from mmaction.registry import TRANSFORMS
    from mmengine.dataset import Compose
    from mmengine.registry import DefaultScope
    size, patch, tubelet, clip_len = 224, 16, 2, 16
    ann = run['ann']
    kps, scores = ann['keypoints'], ann['keypoint_scores']
    h, w = ann['img_shape']
    hand_idx = list(range(*LH)) + list(range(*RH))
    cfgs = [dict(type='DecordInit'),
            dict(type='SampleFrames', clip_len=clip_len, frame_interval=2, num_clips=1),
            dict(type='DecordDecode'), dict(type='LoadSignAnnotation'),
            dict(type='RandomResizedCrop', area_range=(0.4, 1.0)),
            dict(type='Resize', scale=(size, size), keep_ratio=False),
            dict(type='Flip', flip_ratio=0.5),
            dict(type='SegmentGuidedHandMask', ratio=0.4, tubelet_size=tubelet, patch_size=patch,
                 input_size=(clip_len, size, size))]
    with DefaultScope.overwrite_default_scope('mmaction'):
        pipeline = Compose([TRANSFORMS.build(c) for c in cfgs])
    g = size // patch
    flips, total, hits, mirrored_hits = set(), 0, 0, 0
    for seed in range(8):
        np.random.seed(seed)
        random.seed(seed)
        results = pipeline(dict(filename=str(CLIP), label=0, sign_ann=str(run['npz']),
                                modality='RGB', start_index=0))
        mask = results['mask'].reshape(clip_len // tubelet, g, g)
        qx, qy, qw, qh = results['crop_quadruple']
        flip = bool(results['flip'])
        flips.add(flip)
        for k, t in enumerate(results['frame_inds']):
            valid = scores[t, hand_idx] > 0
            x = (kps[t, hand_idx, 0] / w - qx) / qw * size
            y = (kps[t, hand_idx, 1] / h - qy) / qh * size
            if flip:
                x = size - x
            ok = valid & (x >= 0) & (x < size) & (y >= 0) & (y < size)
            tx, ty = (x[ok] // patch).astype(int), (y[ok] // patch).astype(int)
            total += ok.sum()
            hits += mask[k // tubelet, ty, tx].sum()
            mirrored_hits += mask[k // tubelet, ty, g - 1 - tx].sum()
    assert flips == {True, False}
    assert total > 500
    assert hits / total > 0.97, (hits, total)
    # the check can fail: the mirrored places are mostly not masked (the hands are off-centre)
    assert mirrored_hits / total < 0.8 * hits / total, (mirrored_hits, hits, total)


@needs_mediapipe
def test_flipped_clip_swaps_left_and_right(run, tmp_path):
    """COCO-WholeBody's left is the subject's: in a mirrored clip the hand MediaPipe calls left is
    the mirror image of the original's right hand, and vice versa."""
    from signmae_mm.preprocessing import MediaPipeHolistic
    frames = _frames(CLIP)
    flipped = tmp_path / 'flipped.mp4'
    write_video(flipped, np.ascontiguousarray(frames[:, :, ::-1]), fps=30)
    with MediaPipeHolistic() as holistic:
        out = holistic.process(_frames(flipped))
    ann = run['ann']
    kps, scores = ann['keypoints'], ann['keypoint_scores']
    w = ann['img_shape'][1]
    fk, fs = out.keypoints.copy(), out.keypoint_scores
    fk[..., 0] = w - fk[..., 0]  # back into the original's image coordinates

    def dist(a_rng, b_rng):
        both = (scores[:, a_rng[0]:a_rng[1]] > 0).all(1) & (fs[:, b_rng[0]:b_rng[1]] > 0).all(1)
        d = np.linalg.norm(kps[both, a_rng[0]:a_rng[1]] - fk[both, b_rng[0]:b_rng[1]], axis=-1)
        return both.sum(), float(np.median(d)) if both.any() else np.inf

    n_lr, d_lr = dist(LH, RH)  # original left vs. flipped right: the same hand
    n_rl, d_rl = dist(RH, LH)
    assert n_lr > 20 and n_rl > 20, (n_lr, n_rl)
    assert d_lr < 8 and d_rl < 8, (d_lr, d_rl)  # pixels, on a 320 x 480 clip
    # the un-swapped pairing puts the hands far apart (the hands are > 60 px apart here)
    assert dist(LH, LH)[1] > 40 and dist(RH, RH)[1] > 40
    # the body too: the original's left shoulder is the flipped clip's right shoulder
    d = np.linalg.norm(kps[:, L_SHOULDER] - fk[:, R_SHOULDER], axis=-1)
    assert np.median(d) < 8, np.median(d)


def test_missing_extra_fails_with_the_install_command(tmp_path):
    """Without mediapipe, the backend stops with a message naming the install command."""
    video = tmp_path / 'v.mp4'
    write_video(video, np.zeros((2, 64, 64, 3), np.uint8))
    code = ('import sys; sys.modules["mediapipe"] = None\n'  # "import mediapipe" now fails
            'import runpy; sys.argv = ["preprocess.py"] + sys.argv[1:]\n'
            f'runpy.run_path({str(REPO / "tools" / "preprocess.py")!r}, run_name="__main__")\n')
    proc = subprocess.run([sys.executable, '-c', code, str(tmp_path), '--out-dir',
                           str(tmp_path / 'out'), '--pose-backend', 'mediapipe'],
                          capture_output=True, text=True, timeout=120, cwd=str(REPO))
    assert proc.returncode != 0
    assert 'bash tools/install.sh' in proc.stderr, proc.stderr[-2000:]
    assert 'pip install -e .[mediapipe]' in proc.stderr
    assert 'Traceback' not in proc.stderr
