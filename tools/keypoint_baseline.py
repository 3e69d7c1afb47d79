#!/usr/bin/env python
"""Linear keypoint baseline of a split: what the keypoint stream has to beat.

Fits a multinomial logistic regression on the normalised upper-body and hand keypoints of each
clip's sign annotation (the frames a model's test pipeline samples) of the training list and
scores the test list (:func:`signmae_mm.evaluation.fit_keypoint_baseline`). Prints
per-instance top-1/top-5, per-class top-1 and, for a demo set (a ``vocabulary.json`` beside the
lists), the accuracy on the shape pairs and the motion pairs; ``--out`` writes them as JSON.

Example (the demo set's noisy keypoints, ``tools/make_demo_data.py data/demo --noisy-twin``)::

    python tools/keypoint_baseline.py data/demo/train.json data/demo/test.json \\
        --sign-ann-prefix data/demo/sign_ann_noisy --num-frames 8 \\
        --out work_dirs/keypoint_baseline.json
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
    parser.add_argument('--sign-ann-prefix', default='',
                        help="folder of the lists' sign annotations (data_prefix['sign_ann'])")
    parser.add_argument('--num-frames', type=int, default=16, help='frames per clip')
    parser.add_argument('--frame-interval', type=int, default=None,
                        help='SampleFrames frame interval (default: the clip spans the video)')
    parser.add_argument('--min-score', type=float, default=0.3,
                        help='points scored below it count as missing (0)')
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
    from signmae_mm.evaluation import fit_keypoint_baseline, write_report
    from signmae_mm.structures import SignAnnotationError
    try:
        res = fit_keypoint_baseline(
            args.train_ann, args.test_ann, args.sign_ann_prefix, num_frames=args.num_frames,
            frame_interval=args.frame_interval, min_score=args.min_score,
            weight_decay=args.weight_decay)
    except (FileNotFoundError, SignAnnotationError, ValueError) as e:
        print(f'keypoint_baseline: error: {e}', file=sys.stderr)
        return 1
    wall = time.time() - start
    scores, labels = res.pop('scores'), res.pop('labels')
    res['seconds']['total'] = round(wall, 2)
    res['settings'] = dict(
        train_ann=osp.abspath(args.train_ann), test_ann=osp.abspath(args.test_ann),
        sign_ann_prefix=args.sign_ann_prefix, num_frames=args.num_frames,
        frame_interval=args.frame_interval, min_score=args.min_score,
        weight_decay=args.weight_decay,
        features=f'{args.num_frames} frames of upper body + hands, centred on the shoulders '
        'and scaled by their width')
    if args.save_scores:
        res['scores'] = scores.tolist()
        res['labels'] = labels.tolist()
    write_report(
        res, f'keypoint baseline (linear classifier on {args.num_frames} frames of normalised '
        f'upper-body and hand keypoints), {res["num_train"]} train / {res["num_test"]} test '
        f'videos, {res["num_classes"]} classes (chance {1 / res["num_classes"]:.1%}):', args.out)
    s = res['seconds']
    print(f'  time: {s["total"]:.1f} s (features {s["features"]:.1f} s, fit {s["fit"]:.1f} s)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
