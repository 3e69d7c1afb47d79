#!/usr/bin/env python
"""How many tokens a hand spans in a config's model input, measured on a data set.

The median extent of the hands in the list's sign annotations (the side of the box around each
visible hand's 21 keypoints, over the frame's short side) times the tokens across the config's
input (``img_size / patch_size``): :func:`signmae_mm.evaluation.tokens_per_hand`. Below about one
token a hand's shape is a few pixels of one patch embedding.

Example::

    python tools/tokens_per_hand.py \\
        configs/demo/vit-tiny-p8_signmae-handarm-pre_8x2x1_signdemo.py \\
        data/demo/test.json --sign-ann-prefix data/demo/sign_ann
"""
import argparse
import sys


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument('config', help='config whose model.backbone sets img_size, patch_size')
    parser.add_argument('ann_file', help='annotation list with sign annotations (JSON)')
    parser.add_argument('--sign-ann-prefix', default='', help="the list's data_prefix['sign_ann']")
    parser.add_argument('--max-videos', type=int, default=500, help='videos read (the first)')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    # imported here so that --help answers without loading mmaction2 and torch
    import signmae_mm  # noqa: F401  (compat fixes before mmaction)
    from signmae_mm.evaluation import tokens_per_hand
    try:
        res = tokens_per_hand(args.config, args.ann_file, args.sign_ann_prefix, args.max_videos)
    except (FileNotFoundError, ValueError) as e:
        print(f'tokens_per_hand: error: {e}', file=sys.stderr)
        return 1
    print(f'a hand spans {res["tokens_per_hand"]:.2f} tokens across: median extent '
          f'{res["median_extent"]:.3f} of the short side ({res["num_hands"]} hands in frames) x '
          f'{res["cells"]:g} tokens across the input of {args.config}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
