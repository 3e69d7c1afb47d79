#!/usr/bin/env python
"""Preprocess sign videos into SignMAE sign annotations (keypoints, signer boxes, part maps).

Per video: the signer is detected in every frame (mmdet, RTMDet by default) and tracked,
133 whole-body keypoints are estimated in its box (mmpose top-down, RTMPose by default), and
part maps are made from a Sapiens segmentation model (``--sapiens``) or, without one, from the
keypoints. One ``.npz`` per video (``docs/annotation_format.md``), a ``.meta.json`` per
video (how it was made, fallbacks used, or why it failed), an annotation list for
``SignVideoDataset`` and a summary are written under ``--out-dir`` (layout: the docstring of
``signmae_mm/preprocessing/runner.py``). Finished videos are skipped when run again.

With ``--pose-backend mediapipe`` the keypoints, the person boxes and the person silhouette come
from MediaPipe Holistic instead (``signmae_mm/preprocessing/mediapipe_holistic.py``: no detector,
no checkpoints, CPU only; the part maps are the keypoint part maps trimmed to the silhouette and
recorded as ``part_map_source="mediapipe-holistic"``).

The default models are RTMDet-m and RTMPose-l whole-body (384x288); their checkpoints come
from the OpenMMLab model zoo (without ``--det-checkpoint`` / ``--pose-checkpoint`` the tool
stops and prints the zoo URL of the configured model; nothing is downloaded).

Examples::

    # a converted WLASL list, keypoint part maps, on a GPU
    python tools/preprocess.py data/wlasl/annotations/wlasl2000_train.json \\
        --video-root data/wlasl/videos --out-dir data/wlasl/sign_ann \\
        --det-checkpoint checkpoints/rtmdet_m_8xb32-300e_coco.pth \\
        --pose-checkpoint checkpoints/rtmpose-l_coco-wholebody-384x288.pth --device cuda:0

    # four GPUs, one shard each (0-based), then write the list once all have finished
    for i in 0 1 2 3; do CUDA_VISIBLE_DEVICES=$i python tools/preprocess.py LIST \\
        --video-root V --out-dir O --det-checkpoint D --pose-checkpoint P \\
        --device cuda:0 --shard $i/4 & done; wait
    python tools/preprocess.py LIST --video-root V --out-dir O --collect

    # no weight files: MediaPipe Holistic keypoints, part maps trimmed to its silhouette
    # (in the core stack of tools/install.sh; with pip: pip install -e .[mediapipe])
    python tools/preprocess.py LIST --video-root V --out-dir O --pose-backend mediapipe

    # Sapiens part maps from its TorchScript export
    python tools/preprocess.py LIST --video-root V --out-dir O --det-checkpoint D \\
        --pose-checkpoint P --sapiens sapiens_0.3b_torchscript.pt2 --sapiens-dtype float32

Exit status: 0 when the run finished (failed videos are listed in the summary), 1 when every
video it processed failed, 2 on bad arguments.
"""
import argparse
import logging
import sys
from typing import List, Optional

from mmengine.config import DictAction


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    from signmae_mm.preprocessing import (DEFAULT_DET_CONFIG, DEFAULT_POSE_CONFIG,
                                          NO_PERSON_POLICIES, POSE_BACKENDS)
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n\n')[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument('video_list', help='annotation list (.json, e.g. from '
                        'tools/convert_datasets.py), mmaction2 list file ("<video> <label>" '
                        'lines) or a folder of videos')
    parser.add_argument('--video-root', default=None, help='folder the list\'s video paths are '
                        'relative to (default: the list\'s folder, or the folder itself)')
    parser.add_argument('--out-dir', required=True, help='output folder for the .npz files, '
                        'the annotation list and the summary')
    parser.add_argument('--out-list', default=None, help='annotation list to write (default: '
                        'OUT_DIR/<list name>.json)')
    models = parser.add_argument_group('models')
    models.add_argument('--pose-backend', default='mmpose', choices=POSE_BACKENDS,
                        help='mmpose: RTMDet person boxes + top-down RTMPose (checkpoints '
                        'needed); mediapipe: MediaPipe Holistic keypoints, boxes and '
                        'silhouette (no weight files; the "mediapipe" extra)')
    models.add_argument('--mp-min-detection-confidence', type=float, default=0.5,
                        help='MediaPipe: person detection threshold')
    models.add_argument('--mp-min-tracking-confidence', type=float, default=0.5,
                        help='MediaPipe: landmark tracking threshold (also decides whether '
                        'a hand is reported)')
    models.add_argument('--det-config', default=DEFAULT_DET_CONFIG,
                        help='mmdet config: a file, "mmdet::path" or a name shipped with mmdet')
    models.add_argument('--det-checkpoint', default=None, help='detector weights')
    models.add_argument('--det-cfg-options', nargs='+', action=DictAction, default=None,
                        help='overrides of the detector config, key=value')
    models.add_argument('--det-score-thr', type=float, default=0.3,
                        help='minimum score of a person box')
    models.add_argument('--det-input-size', type=int, nargs='+', default=None,
                        help='detector input S or W H (default: the config\'s); smaller is '
                        'faster on small videos')
    models.add_argument('--pose-config', default=DEFAULT_POSE_CONFIG,
                        help='mmpose top-down whole-body (133 keypoints) config')
    models.add_argument('--pose-checkpoint', default=None, help='pose model weights')
    models.add_argument('--pose-cfg-options', nargs='+', action=DictAction, default=None,
                        help='overrides of the pose config, key=value')
    models.add_argument('--random-weights', action='store_true',
                        help='allow a missing --det-checkpoint / --pose-checkpoint (random '
                        'weights: for tests and benchmarks only)')
    models.add_argument('--trust-checkpoints', action='store_true',
                        help='unpickle the two checkpoints fully if they hold more than '
                        'tensors (only for files you trust)')
    parts = parser.add_argument_group('part maps')
    parts.add_argument('--part-maps', default='auto', choices=['auto', 'sapiens', 'keypoints'],
                       help='auto: Sapiens when --sapiens is given, else keypoints (with '
                       '--pose-backend mediapipe: keypoints trimmed to the person silhouette)')
    parts.add_argument('--sapiens', default=None, help='Sapiens body-part segmentation model '
                       '(TorchScript or torch.export file)')
    parts.add_argument('--sapiens-input-size', type=int, nargs=2, default=[1024, 768],
                       metavar=('H', 'W'), help='Sapiens input size')
    parts.add_argument('--sapiens-dtype', default=None,
                       choices=['float32', 'float16', 'bfloat16'],
                       help='Sapiens input dtype (default: the model\'s)')
    parts.add_argument('--grid-size', type=int, nargs='+', default=[32],
                       help='part-map grid G or GH GW over the frame')
    parts.add_argument('--kpt-thr', type=float, default=0.3,
                       help='keypoint score threshold of keypoint part maps')
    run = parser.add_argument_group('run')
    run.add_argument('--device', default='cpu', help='torch device, e.g. cuda:0')
    run.add_argument('--batch-size', type=int, default=16, help='frames per model call')
    run.add_argument('--no-person', default='skip', choices=NO_PERSON_POLICIES,
                     help='a video without any person: skip it (reported) or use the whole '
                     'frame as the person box (recorded as person_source="whole_frame")')
    run.add_argument('--fill-missing', default='interpolate', choices=['interpolate', 'none'],
                     help='frames where the signer is missed: box interpolated from the '
                     'neighbouring frames, or none (no keypoints there)')
    run.add_argument('--shard', default='0/1', help='i/n: process every n-th video from the '
                     'i-th (0-based), to split a run over processes or GPUs')
    run.add_argument('--overwrite', action='store_true', help='redo finished videos')
    run.add_argument('--retry-failed', action='store_true',
                     help='redo videos that failed in an earlier run')
    run.add_argument('--collect', action='store_true', help='process nothing; write the '
                     'summary and the annotation list from the finished videos')
    run.add_argument('--allow-partial-list', action='store_true',
                     help='write the annotation list even while videos are pending')
    run.add_argument('--summary', default=None, help='summary file (default: '
                     'OUT_DIR/preprocess_summary[_shard-i-of-n].json)')
    run.add_argument('--frame-cache-mb', type=float, default=1024,
                     help='keep a video\'s frames in memory between the two passes up to '
                     'this size, else decode twice')
    run.add_argument('--fail-fast', action='store_true',
                     help='stop at the first unexpected (non-video) error')
    return parser.parse_args(argv)


def build_annotator(args: argparse.Namespace):
    """The :class:`VideoAnnotator` of the arguments (exits with the reason when it cannot)."""
    from mmengine.logging import print_log

    from signmae_mm.preprocessing import (MediaPipeNotInstalledError, VideoAnnotator,
                                          build_part_maps, build_pose_source, check_checkpoints)
    if args.pose_backend == 'mmpose':
        from signmae_mm.compat import trust_checkpoints
        from signmae_mm.stack import FullStackNotInstalledError, require_full_stack
        try:
            require_full_stack('--pose-backend mmpose (RTMDet person boxes, RTMPose keypoints)')
            check_checkpoints(args.det_config, args.det_checkpoint, args.pose_config,
                              args.pose_checkpoint, args.random_weights)
        except FullStackNotInstalledError as err:
            raise SystemExit(f'error: {err}')
        except ValueError as err:
            raise SystemExit(str(err))
        for kind, ckpt in (('det', args.det_checkpoint), ('pose', args.pose_checkpoint)):
            if ckpt is None:
                print_log(f'the {kind} model has RANDOM weights (--random-weights): its output '
                          'is meaningless', 'current', level=logging.WARNING)
            elif args.trust_checkpoints:
                trust_checkpoints(ckpt)
    det_size = args.det_input_size
    if det_size:
        det_size = det_size[0] if len(det_size) == 1 else tuple(det_size)
    try:
        source = build_pose_source(
            args.pose_backend, args.device, det_config=args.det_config,
            det_checkpoint=args.det_checkpoint, det_cfg_options=args.det_cfg_options,
            det_score_thr=args.det_score_thr, det_input_size=det_size,
            pose_config=args.pose_config, pose_checkpoint=args.pose_checkpoint,
            pose_cfg_options=args.pose_cfg_options,
            mp_min_detection_confidence=args.mp_min_detection_confidence,
            mp_min_tracking_confidence=args.mp_min_tracking_confidence)
    except MediaPipeNotInstalledError as err:
        raise SystemExit(f'error: {err}') from None
    grid = args.grid_size * 2 if len(args.grid_size) == 1 else args.grid_size
    parts = build_part_maps(args.part_maps, args.sapiens, tuple(grid), args.device,
                            silhouette=args.pose_backend == 'mediapipe', kpt_thr=args.kpt_thr,
                            sapiens_input_size=args.sapiens_input_size,
                            sapiens_dtype=args.sapiens_dtype, batch_size=args.batch_size)
    return VideoAnnotator(source, parts, batch_size=args.batch_size, no_person=args.no_person,
                          fill_missing=args.fill_missing, frame_cache_mb=args.frame_cache_mb)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    from signmae_mm.preprocessing import PreprocessRunner, parse_shard, resolve_video_list
    try:
        shard = parse_shard(args.shard)
        if len(args.grid_size) not in (1, 2) or (args.det_input_size
                                                 and len(args.det_input_size) not in (1, 2)):
            raise ValueError('--grid-size and --det-input-size take 1 or 2 integers')
        videos = resolve_video_list(args.video_list, args.out_dir, args.video_root,
                                    args.out_list)
    except (ValueError, FileNotFoundError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 2
    annotator = None if args.collect else build_annotator(args)
    runner = PreprocessRunner(annotator, videos.video_root, args.out_dir,
                              overwrite=args.overwrite, retry_failed=args.retry_failed,
                              fail_fast=args.fail_fast)
    summary = runner.run(videos.items, shard, out_list=videos.out_list,
                         metainfo=videos.metainfo, summary_path=args.summary,
                         collect_only=args.collect, allow_partial_list=args.allow_partial_list)
    this = summary['this_run']
    return 1 if this['failed'] and not this['processed'] else 0


if __name__ == '__main__':
    sys.exit(main())
