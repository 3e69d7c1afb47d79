#!/usr/bin/env python
"""Frozen-encoder linear probe of a pretraining checkpoint on a labelled split.

The encoder of a finetuning CONFIG is loaded from CHECKPOINT (its ``backbone.`` keys) and frozen;
a logistic regression on its pooled features of the training list is scored on the test list
(:func:`signmae_mm.evaluation.linear_probe`). ``none`` as CHECKPOINT probes the randomly
initialised encoder, the reference for "no pretraining". ``--pooling`` picks the read-out:
``mean`` (the backbone's pooled feature, the standard probe), ``tokens`` (every token's feature,
concatenated), or both from one pass over the clips. With one pooling ``--out`` holds its
figures; with several, ``{"probes": {POOLING: figures}, "settings": ...}``.

Example::

    python tools/linear_probe.py configs/demo/vit-tiny-p8_signmae-handarm-pre_8x2x1_signdemo.py \\
        work_dirs/signmae-handarm_vit-tiny-p8_8x2x1_signdemo/epoch_20.pth \\
        data/demo/train.json data/demo/test.json --video-prefix data/demo/videos \\
        --pooling mean tokens
"""
import argparse
import json
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
    parser.add_argument('--pooling', nargs='+', default=['mean'], choices=('mean', 'tokens'),
                        help='read-outs of the encoder tokens: mean-pooled, all tokens')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--out', help='write the figures to this JSON file')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    start = time.time()
    # imported here so that --help answers without loading mmaction2 and torch
    import signmae_mm  # noqa: F401  (compat fixes before mmaction)
    from mmengine.runner import set_random_seed

    from signmae_mm.evaluation import linear_probes, write_report
    from signmae_mm.utils import atomic_open
    checkpoint = None if args.checkpoint.lower() == 'none' else args.checkpoint
    if checkpoint is not None and not osp.isfile(checkpoint):
        print(f'linear_probe: error: checkpoint {checkpoint} does not exist', file=sys.stderr)
        return 1
    set_random_seed(args.seed)
    try:
        results = linear_probes(args.config, checkpoint, args.train_ann, args.test_ann,
                                args.video_prefix, poolings=args.pooling,
                                weight_decay=args.weight_decay, device=args.device)
    except (FileNotFoundError, ValueError) as e:
        print(f'linear_probe: error: {e}', file=sys.stderr)
        return 1
    settings = dict(config=args.config, checkpoint=args.checkpoint,
                    train_ann=osp.abspath(args.train_ann), test_ann=osp.abspath(args.test_ann),
                    weight_decay=args.weight_decay)
    for pooling, res in results.items():
        res.pop('scores'), res.pop('labels')
        res['settings'] = dict(settings, pooling=pooling)
        write_report(
            res, f'linear probe ({pooling}) of {args.checkpoint} ({res["num_train"]} train / '
            f'{res["num_test"]} test videos, {res["num_classes"]} classes, chance '
            f'{1 / res["num_classes"]:.1%}, {res["feature_dim"]} features):')
    total = round(time.time() - start, 2)
    if len(results) == 1:
        report = next(iter(results.values()))
        report['seconds']['total'] = total
    else:
        report = dict(probes=results, settings=settings, seconds=dict(total=total))
    if args.out:
        with atomic_open(args.out, 'w') as f:
            json.dump(report, f, indent=1)
        print(f'  written to {args.out}')
    print(f'  time: {total:.1f} s')
    return 0


if __name__ == '__main__':
    sys.exit(main())
