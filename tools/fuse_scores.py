#!/usr/bin/env python
"""Late fusion of per-stream score dumps: fit or apply fusion weights, report accuracy.

Each stream is tested on the same split with ``mim test mmaction CONFIG --checkpoint CKPT --dump
X.pkl`` (mmaction2's ``DumpResults``: one dict per sample with ``pred_score`` and ``gt_label``,
in dataset order). The fused score of a sample is the weighted average of the streams' scores,
``sum_i w_i * s_i / sum_i w_i`` -- what ``LateFusionHead`` computes. Prints
per-instance top-1/top-5 and per-class top-1 (over the classes present in the split) of every
stream and of the fusion.

Weights: given (``--weights``), equal (default), or fitted (``--fit``) by a grid search over the
weight simplex (step ``--step``) that maximises ``--objective`` on the ``--fit-on`` dumps (the
validation split; without them, on the evaluated dumps themselves, which then overstates the
fused accuracy); ties go to the lower negative log-likelihood. ``--save-checkpoint`` writes the
weights as a checkpoint of the fusion head, for ``mim test`` of the late-fusion config.

Example::

    python tools/fuse_scores.py test_rgb_handarm.pkl test_rgb_tube.pkl test_heatmap.pkl \\
        --names rgb_handarm rgb_tube heatmap --fit \\
        --fit-on val_rgb_handarm.pkl val_rgb_tube.pkl val_heatmap.pkl \\
        --out work_dirs/fusion_weights.json --save-checkpoint work_dirs/late_fusion.pth

The work is done by :func:`signmae_mm.evaluation.late_fusion`; this file only parses the
arguments and prints. Dumps are pickles: only read files you made yourself.
"""
import argparse
import sys
from typing import List, Optional

from signmae_mm.evaluation.score_fusion import (OBJECTIVES, late_fusion, format_table,
                                                save_fusion_checkpoint, write_fusion_report)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split('\n\n', 1)[1])
    parser.add_argument('dumps', nargs='+', help='one score dump per stream (mim test --dump), '
                        'the evaluated split')
    parser.add_argument('--names', nargs='+', help='stream names, in dump order; for '
                        '--save-checkpoint the names of the fusion config\'s streams (default: '
                        'the dump files\' names)')
    parser.add_argument('--weights', nargs='+', type=float, help='fusion weights, in dump order')
    parser.add_argument('--fit', action='store_true', help='fit the weights by grid search')
    parser.add_argument('--fit-on', nargs='+', metavar='DUMP',
                        help='dumps to fit on (the validation split), in the same stream order')
    parser.add_argument('--step', type=float, default=0.05, help='grid step of the weights')
    parser.add_argument('--objective', default='per_instance_top1', choices=list(OBJECTIVES),
                        help='what the fit maximises')
    parser.add_argument('--topk', nargs='+', type=int, default=[1, 5], help='per-instance top-k')
    parser.add_argument('--out', help='write weights and metrics to this JSON file')
    parser.add_argument('--save-checkpoint', metavar='PTH',
                        help='write the weights as a fusion-head checkpoint for mim test')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    try:
        report = late_fusion(args.dumps, args.names, args.weights, args.fit, args.fit_on,
                             args.step, args.objective, args.topk,
                             for_checkpoint=bool(args.save_checkpoint))
    except ValueError as e:  # DumpError included
        print(f'error: {e}', file=sys.stderr)
        return 2
    if args.fit and not args.fit_on:
        print('note: fitted on the evaluated dumps themselves; the fused accuracy below '
              'is optimistic (fit on validation dumps with --fit-on)')
    weights, rows = report['weights'], report['metrics']
    print(f'{report["num_samples"]} samples, {report["num_classes"]} classes '
          f'({report["num_present_classes"]} present), {len(weights)} streams')
    print(format_table(rows, weights))
    print('config: --cfg-options ' + ' '.join(
        f'model.fusion_head.weights.{n}={w:.4f}' for n, w in weights.items()))
    if args.out:
        print(f'wrote {write_fusion_report(report, args.out)}')
    if args.save_checkpoint:
        save_fusion_checkpoint(args.save_checkpoint, report['streams'], list(weights.values()),
                               meta=dict(weights=weights, metrics=rows))
        print(f'wrote {args.save_checkpoint} (mim test ... --checkpoint {args.save_checkpoint})')
    return 0


if __name__ == '__main__':
    sys.exit(main())
