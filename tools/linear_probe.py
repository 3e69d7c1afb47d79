#!/usr/bin/env python
"""Frozen-encoder linear probe of a pretraining checkpoint on a labelled split.

The encoder of a finetuning CONFIG is loaded from CHECKPOINT (its ``backbone.`` keys) and frozen;
a logistic regression on its pooled features of the training list is scored on the test list
(:func:`signmae_mm.evaluation.linear_probe`). ``none`` as CHECKPOINT probes the randomly
initialised encoder, the reference for "no pretraining".

Example::

    python tools/linear_probe.py configs/demo/vit-tiny-p16_signmae-handarm-pre_8x2x1_signdemo.py \\
        work_dirs/signmae-handarm_vit-tiny-p16_8x2x1_signdemo/epoch_26.pth \\
        data/demo/train.json data/demo/test.json --video-prefix data/demo/videos
"""
import argparse
import os.path as osp
import sys
import time


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument('config', help='finetuning config whose backbone is probed')
    parser.add_argument('checkpoint', help='pretraining checkpoint, or "none" (random init)')
    parser.add_argument('train_ann', help='training annotation list (JSON)')
    parser.add_argument('test_ann', help='evaluated annotation list (JSON)')
    parser.add_argument('--video-prefix', default='', help="the lists' data_prefix['video']")
    parser.add_argument('--weight-decay', type=float, default=1e-2,
                        help='L2 penalty of the logistic regression')
    parser.add_argument('--seed', type=int, default=0,
                        help='seed of the random initialisation (checkpoint "none")')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--out', help='write the figures to this JSON file')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    start = time.time()
    # imported here so that --help answers without loading mmaction2 and torch
    import signmae_mm  # noqa: F401  (compat fixes before mmaction)
    from mmengine.runner import set_random_seed

    from signmae_mm.evaluation import linear_probe, write_report
    checkpoint = None if args.checkpoint.lower() == 'none' else args.checkpoint
    if checkpoint is not None and not osp.isfile(checkpoint):
        print(f'linear_probe: error: checkpoint {checkpoint} does not exist', file=sys.stderr)
        return 1
    set_random_seed(args.seed)
    try:
        res = linear_probe(args.config, checkpoint, args.train_ann, args.test_ann,
                           args.video_prefix, weight_decay=args.weight_decay, device=args.device)
    except (FileNotFoundError, ValueError) as e:
        print(f'linear_probe: error: {e}', file=sys.stderr)
        return 1
    res.pop('scores'), res.pop('labels')
    res['seconds']['total'] = round(time.time() - start, 2)
    res['settings'] = dict(config=args.config, checkpoint=args.checkpoint,
                           train_ann=osp.abspath(args.train_ann),
                           test_ann=osp.abspath(args.test_ann), weight_decay=args.weight_decay)
    write_report(
        res, f'linear probe of {args.checkpoint} ({res["num_train"]} train / '
        f'{res["num_test"]} test videos, {res["num_classes"]} classes, chance '
        f'{1 / res["num_classes"]:.1%}):', args.out)
    print(f'  time: {res["seconds"]["total"]:.1f} s')
    return 0


if __name__ == '__main__':
    sys.exit(main())
