"""Frames per second of each preprocessing stage (medians over repeats), on the CPU by default.

Stages, each on the same ``--frames``-frame clip in batches of ``--batch-size``:

* ``decode``: decord, BGR frames (``VideoFrames``) of a generated mp4;
* ``detect``: ``PersonDetector`` (mmdet config, random weights: speed does not depend on the
  weights, except that NMS is bounded by ``nms_pre``);
* ``track``: choosing the signer over the clip (``track_signer``);
* ``pose``: ``WholeBodyPoseEstimator`` (mmpose top-down, 133 points) in one box per frame;
* ``part maps (keypoints)``: ``KeypointPartMaps`` on a drawn signer's keypoints (all parts
  drawn);
* ``part maps (Sapiens glue)``: ``SapiensPartMaps`` with a trivial TorchScript model at the
  Sapiens input size: crop, resize, normalise, logits resized back, argmax, grouping. The real
  Sapiens network is not included (its weights are user files): pass ``--sapiens FILE`` to time
  one;
* ``write``: ``save_sign_annotation`` of the clip's arrays (compressed ``.npz``);
* ``end to end``: ``VideoAnnotator.process`` over RTMDet + RTMPose (decode + detect + track + pose + part maps);
* with the ``mediapipe`` extra installed, on the first ``--frames`` frames of a real clip
  (``--mp-video``, default the 320x480 ``tests/data`` NTU clip; the drawn clip holds no person,
  on which Holistic would only run its detector): ``mediapipe holistic`` (pose, hands, face and
  silhouette; the keypoint, person-box and segmentation stage of ``--pose-backend mediapipe``),
  ``part maps (silhouette)`` (``SilhouetteKeypointPartMaps``) and ``end to end (mediapipe)``
  (``VideoAnnotator.process`` over ``MediaPipeHolistic``). MediaPipe runs on the CPU whatever ``--device`` says.

    python benchmarks/bench_preprocess.py [--frames 16] [--size 256] [--repeats 3]
        [--det-config rtmdet_tiny_8xb32-300e_coco] [--pose-config NAME] [--device cpu]

Defaults are the tool's own models (RTMDet-m, RTMPose-l whole-body 384x288).
"""
import argparse
import os.path as osp
import platform
import sys
import tempfile
import time
from typing import Callable, List

import numpy as np


def time_runs(fn: Callable[[], None], repeats: int) -> List[float]:
    """Run ``fn`` once to warm up, then ``repeats`` times; seconds per run."""
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def signer_keypoints(num: int, h: int, w: int):
    """Keypoints of a drawn, facing signer (every part present), moving hands."""
    kps = np.zeros((num, 133, 2), np.float32)
    s = min(h, w) / 128
    base = {0: (64, 20), 1: (60, 16), 2: (68, 16), 3: (56, 18), 4: (72, 18), 5: (80, 40),
            6: (48, 40), 7: (92, 70), 8: (36, 70)}
    for t in range(num):
        phase = 2 * np.pi * t / max(num, 1)
        pts = dict(base)
        pts[9] = (84 + 8 * np.cos(phase), 90 + 8 * np.sin(phase))
        pts[10] = (44 - 8 * np.cos(phase), 90 + 8 * np.sin(phase))
        for k, p in pts.items():
            kps[t, k] = p
        ang = np.linspace(0, 2 * np.pi, 68)
        kps[t, 23:91] = np.stack([64 + 10 * np.cos(ang), 22 + 12 * np.sin(ang)], 1)
        ring = np.stack([np.cos(np.linspace(0, 2 * np.pi, 21)),
                         np.sin(np.linspace(0, 2 * np.pi, 21))], 1) * 6
        kps[t, 91:112] = ring + np.array(pts[9]) + (0, 10)
        kps[t, 112:133] = ring + np.array(pts[10]) + (0, 10)
    scores = np.ones((num, 133), np.float32)
    boxes = np.tile(np.array([[16, 4, 112, 128]], np.float32) * s, (num, 1))
    return kps * s, scores, boxes


def main(argv=None) -> int:
    from signmae_mm.preprocessing import DEFAULT_DET_CONFIG, DEFAULT_POSE_CONFIG
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--frames', type=int, default=16, help='frames of the clip')
    parser.add_argument('--size', type=int, nargs=2, default=[256, 256], metavar=('H', 'W'),
                        help='frame size')
    parser.add_argument('--batch-size', type=int, default=8)
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--det-config', default=DEFAULT_DET_CONFIG)
    parser.add_argument('--det-input-size', type=int, default=None)
    parser.add_argument('--pose-config', default=DEFAULT_POSE_CONFIG)
    parser.add_argument('--no-flip-test', action='store_true',
                        help='RTMPose without its flip test (half the pose cost)')
    parser.add_argument('--grid', type=int, default=32)
    parser.add_argument('--sapiens', default=None, help='time a real Sapiens model file')
    parser.add_argument('--sapiens-input-size', type=int, nargs=2, default=[1024, 768])
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--threads', type=int, default=None, help='torch CPU threads')
    parser.add_argument('--mp-video', default=osp.join(osp.dirname(osp.dirname(
        osp.abspath(__file__))), 'tests', 'data', 'ntu_drink_s001c001p001r001a001.mp4'),
                        help='real clip for the MediaPipe stages')
    args = parser.parse_args(argv)

    import torch
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    with tempfile.TemporaryDirectory(prefix='bench_preprocess_') as tmp:
        return run(args, tmp)


def run(args: argparse.Namespace, tmp: str) -> int:
    """Build everything in ``tmp``, time the stages and print the table."""
    import torch

    from signmae_mm.preprocessing import (KeypointPartMaps, PersonDetector, SapiensPartMaps,
                                          TopDownPoseSource, VideoAnnotator, VideoFrames,
                                          WholeBodyPoseEstimator, track_signer)
    from signmae_mm.structures import save_sign_annotation
    from signmae_mm.testing import moving_square_frames, write_video
    n, (h, w), bs = args.frames, args.size, args.batch_size
    video = str(write_video(osp.join(tmp, 'clip.mp4'),
                            moving_square_frames(n, (h, w), square=min(h, w) // 4)))
    with VideoFrames(video) as reader:
        frames = reader.read(0, n)
    batches = [frames[i:i + bs] for i in range(0, n, bs)]

    detector = PersonDetector(args.det_config, None, args.device,
                              input_size=args.det_input_size)
    pose = WholeBodyPoseEstimator(
        args.pose_config, None, args.device,
        {'model.test_cfg.flip_test': False} if args.no_flip_test else None)
    kps, scores, boxes = signer_keypoints(n, h, w)
    kp_maps = KeypointPartMaps(grid_size=args.grid)

    class Trivial(torch.nn.Module):
        """28 logits at 1/4 resolution, as cheap as a model can be."""

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.nn.functional.avg_pool2d(x, 4).repeat(1, 10, 1, 1)[:, :28]

    glue_path = osp.join(tmp, 'trivial.pt')
    torch.jit.save(torch.jit.script(Trivial()), glue_path)
    sapiens = SapiensPartMaps(args.sapiens or glue_path, grid_size=args.grid,
                              input_size=tuple(args.sapiens_input_size), device=args.device,
                              batch_size=bs)
    dets = detector(list(frames))
    arrays = dict(keypoints=kps, keypoint_scores=scores, person_bboxes=boxes,
                  part_maps=kp_maps(None, (h, w), kps, scores, boxes), img_shape=(h, w))
    pre = VideoAnnotator(TopDownPoseSource(detector, pose), kp_maps, batch_size=bs,
                         no_person='whole-frame')

    def decode():
        with VideoFrames(video) as r:
            for _ in r.chunks(bs):
                pass

    stages = [
        ('decode', decode),
        ('detect', lambda: [detector(list(b)) for b in batches]),
        ('track', lambda: track_signer(dets)),
        ('pose', lambda: [pose(b, boxes[i * bs:(i + 1) * bs]) for i, b in enumerate(batches)]),
        ('part maps (keypoints)', lambda: kp_maps(None, (h, w), kps, scores, boxes)),
        ('part maps (Sapiens ' + ('model)' if args.sapiens else 'glue)'),
         lambda: [sapiens(b, (h, w), None, None, boxes[i * bs:(i + 1) * bs])
                  for i, b in enumerate(batches)]),
        ('write .npz', lambda: save_sign_annotation(osp.join(tmp, 'a.npz'), **arrays)),
        ('end to end', lambda: pre.process(video)),
    ]
    print(f'preprocessing stages, {n} frames of {h}x{w}, batch {bs}, {args.repeats} repeats '
          f'(median), device {args.device}, torch threads {torch.get_num_threads()}')
    print(f'detector {osp.basename(detector.config)} (input '
          f'{args.det_input_size or "from config"}), pose {osp.basename(pose.config)}'
          f'{" (no flip test)" if args.no_flip_test else ""}, grid {args.grid}, Sapiens input '
          f'{tuple(args.sapiens_input_size)}')
    print(f'python {platform.python_version()}, torch {torch.__version__}, '
          f'{platform.machine()}, {platform.processor() or "cpu"}')
    stages = [(name, fn, n) for name, fn in stages] + mediapipe_stages(args, tmp)
    print(f'{"stage":<34}{"median ms/frame":>16}{"frames/s":>10}{"min-max frames/s":>20}')
    for name, fn, frames_run in stages:
        times = time_runs(fn, args.repeats)
        fps = [frames_run / t for t in times]
        med = float(np.median(times))
        print(f'{name:<34}{1000 * med / frames_run:>16.2f}{frames_run / med:>10.1f}'
              f'{min(fps):>10.1f}-{max(fps):<9.1f}')
    return 0


def mediapipe_stages(args: argparse.Namespace, tmp: str) -> list:
    """``(name, fn, frames)`` of the MediaPipe backend's stages; none without the extra."""
    from signmae_mm.preprocessing import (MediaPipeHolistic, MediaPipeNotInstalledError,
                                          SilhouetteKeypointPartMaps, VideoAnnotator,
                                          VideoFrames)
    from signmae_mm.testing import write_video
    try:
        holistic = MediaPipeHolistic()
    except MediaPipeNotInstalledError as e:
        print(f'(no MediaPipe stages: {str(e).splitlines()[0]})')
        return []
    with VideoFrames(args.mp_video) as reader:
        frames = reader.read(0, min(args.frames, len(reader)))
    n, bs, (h, w) = len(frames), args.batch_size, frames.shape[1:3]
    video = str(write_video(osp.join(tmp, 'mp_clip.mp4'), frames, fps=30))
    out = holistic.process(frames)
    maps = SilhouetteKeypointPartMaps(args.grid)
    pre = VideoAnnotator(holistic, maps, batch_size=bs)

    def run_holistic():
        holistic.reset()  # a new video: detection on the first frame, then tracking
        for i in range(0, n, bs):
            holistic.process(frames[i:i + bs])

    tag = f'{w}x{h}'
    return [(f'mediapipe holistic ({tag})', run_holistic, n),
            (f'part maps (silhouette, {tag})',
             lambda: maps(None, (h, w), out.keypoints, out.keypoint_scores, out.bboxes,
                          silhouettes=out.silhouettes), n),
            (f'end to end (mediapipe, {tag})', lambda: pre.process(video), n)]


if __name__ == '__main__':
    sys.exit(main())
