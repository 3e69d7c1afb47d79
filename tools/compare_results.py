#!/usr/bin/env python
"""One table of several models' results on the same test videos: score dumps and baselines.

Each argument is ``NAME=PATH``: a score dump of ``mim test ... --dump X.pkl`` (its accuracy is
computed from the scores) or the JSON report of ``tools/pixel_baseline.py`` /
``tools/keypoint_baseline.py --out`` (its figures are read). With ``--ann-file`` (the tested
list) and a ``vocabulary.json`` beside it, the table adds the top-1 per pair kind and the
right-pair rate (:func:`signmae_mm.evaluation.compare_results`).

Example::

    python tools/compare_results.py --ann-file data/demo/test.json \\
        hand-arm=work_dirs/dumps/test_rgb_handarm.pkl \\
        pixels=work_dirs/pixel_baseline.json --out work_dirs/streams_table.json
"""
import argparse
import json
import sys


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument('results', nargs='+', metavar='NAME=PATH',
                        help='a row: its name and a score dump (.pkl) or a JSON report')
    parser.add_argument('--ann-file', help="the tested annotation list (for the pairs of a "
                        "vocabulary.json beside it)")
    parser.add_argument('--title', default='', help='first line of the table')
    parser.add_argument('--out', help='write the figures to this JSON file')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    pairs = [r.split('=', 1) for r in args.results]
    if any(len(p) != 2 or not p[0] for p in pairs):
        print('compare_results: error: give each result as NAME=PATH', file=sys.stderr)
        return 2
    # imported here so that --help answers without loading mmaction2 and torch
    from signmae_mm.evaluation import compare_results, format_comparison
    try:
        rows = compare_results([tuple(p) for p in pairs], args.ann_file)
    except (OSError, ValueError) as e:  # DumpError included
        print(f'compare_results: error: {e}', file=sys.stderr)
        return 1
    print(format_comparison(rows, args.title))
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(rows, f, indent=1)
    return 0


if __name__ == '__main__':
    sys.exit(main())
