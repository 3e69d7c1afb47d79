#!/usr/bin/env python
"""Raw-pixel linear baseline of a split: what a model has to beat to have learnt anything.

Fits a multinomial logistic regression on tiny grey frames plus their frame differences of the
training list and scores the test list (:func:`signmae_mm.evaluation.fit_pixel_baseline`).
Prints per-instance top-1/top-5, per-class top-1 and, for a demo set (a ``vocabulary.json``
beside the lists), the accuracy on the shape pairs and the motion pairs; ``--out`` writes them
as JSON.

Example::

    python tools/pixel_baseline.py data/demo/train.json data/demo/test.json \\
        --video-prefix data/demo/videos --out work_dirs/pixel_baseline.json
"""
import argparse
import os.path as osp
import sys
import time


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument('train_ann', help='training annotation list (JSON)')
    parser.add_argument('test_ann', help='evaluated annotation list (JSON)')
    parser.add_argument('--video-prefix', default='',
                        help="folder of the lists' videos (data_prefix['video'])")
    parser.add_argument('--num-frames', type=int, default=16, help='frames per video')
    parser.add_argument('--size', type=int, default=28, help='side of the grey frames')
    parser.add_argument('--frame-interval', type=int, default=None,
                        help='SampleFrames frame interval (default: the clip spans the video)')
    parser.add_argument('--use-frame-range', choices=('list', 'yes', 'no'), default='list',
                        help="sample inside the entries' frame_start / frame_end: as the list's "
                        "metainfo['use_frame_range'] says, always, or never")
    parser.add_argument('--weight-decay', type=float, default=1e-2,
                        help='L2 penalty of the logistic regression')
    parser.add_argument('--out', help='write the figures to this JSON file')
    parser.add_argument('--save-scores', action='store_true',
                        help='also write the test scores and labels to the JSON file')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    start = time.time()
    # imported here so that --help answers without loading mmaction2 and torch
    import signmae_mm  # noqa: F401  (compat fixes before mmaction)
    from signmae_mm.evaluation import VideoReadError, fit_pixel_baseline, write_report
    try:
        res = fit_pixel_baseline(
            args.train_ann, args.test_ann, args.video_prefix, num_frames=args.num_frames,
            size=args.size, frame_interval=args.frame_interval,
            use_frame_range=dict(list=None, yes=True, no=False)[args.use_frame_range],
            weight_decay=args.weight_decay)
    except (FileNotFoundError, VideoReadError, ValueError) as e:
        print(f'pixel_baseline: error: {e}', file=sys.stderr)
        return 1
    wall = time.time() - start
    scores, labels = res.pop('scores'), res.pop('labels')
    res['seconds']['total'] = round(wall, 2)
    res['settings'] = dict(
        train_ann=osp.abspath(args.train_ann), test_ann=osp.abspath(args.test_ann),
        video_prefix=args.video_prefix, num_frames=args.num_frames, size=args.size,
        frame_interval=args.frame_interval, use_frame_range=args.use_frame_range,
        weight_decay=args.weight_decay,
        features=f'{args.num_frames} grey {args.size}x{args.size} frames + abs frame diffs')

    if args.save_scores:
        res['scores'] = scores.tolist()
        res['labels'] = labels.tolist()
    write_report(
        res, f'pixel baseline (linear classifier on {args.num_frames} grey {args.size}x'
        f'{args.size} frames + frame differences), {res["num_train"]} train / '
        f'{res["num_test"]} test videos, {res["num_classes"]} classes (chance '
        f'{1 / res["num_classes"]:.1%}):', args.out)
    s = res['seconds']
    print(f'  time: {s["total"]:.1f} s (features {s["features"]:.1f} s, fit {s["fit"]:.1f} s)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
