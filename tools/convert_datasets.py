#!/usr/bin/env python
"""Convert WLASL, Slovo or NMFs-CSL annotations into SignMAE annotation lists.

Writes ``<name>_<split>.json`` (read by ``SignVideoDataset`` and by ``tools/preprocess.py``),
``<name>_class_counts.csv`` and ``<name>_missing_videos.txt`` (videos named by the annotations
but absent under ``--video-root``; their entries are dropped unless ``--keep-missing``), and
prints the class counts per split.

Examples::

    python tools/convert_datasets.py wlasl data/wlasl/WLASL_v0.3.json \\
        --video-root data/wlasl/videos --out-dir data/wlasl/annotations --subsets 100 2000
    python tools/convert_datasets.py slovo data/slovo/annotations.csv \\
        --video-root data/slovo --out-dir data/slovo/annotations
    python tools/convert_datasets.py nmfs-csl data/nmfs_csl/trainlist01.txt \\
        data/nmfs_csl/testlist01.txt --video-root data/nmfs_csl/videos \\
        --out-dir data/nmfs_csl/annotations

Then, per list: ``python tools/preprocess.py <out-dir>/<name>_<split>.json --video-root
<video-root> --out-dir <sign-ann-dir> ...``.
"""
import argparse
import sys
from typing import List, Optional


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest='dataset', required=True)

    def common(p):
        p.add_argument('--video-root', default=None, help='folder of the videos, to list the '
                       'missing ones (omit to skip the check)')
        p.add_argument('--out-dir', required=True, help='output folder of the lists')
        p.add_argument('--keep-missing', action='store_true',
                       help='keep entries whose video is missing')

    wlasl = sub.add_parser('wlasl', help='WLASL_v0.3.json (glosses with instances)')
    wlasl.add_argument('ann_file', help='WLASL_v0.3.json')
    wlasl.add_argument('--subsets', type=int, nargs='+', default=[100, 300, 1000, 2000],
                       help='subset sizes: the first K glosses')
    wlasl.add_argument('--video-ext', default='.mp4', help='video file extension')
    common(wlasl)
    slovo = sub.add_parser('slovo', help='Slovo annotations.csv (tab-separated)')
    slovo.add_argument('ann_file', help='annotations.csv')
    slovo.add_argument('--video-pattern', default='{split}/{attachment_id}.mp4',
                       help='video path under --video-root ({split}, {attachment_id}, '
                       '{user_id})')
    slovo.add_argument('--drop-no-event', action='store_true',
                       help='leave out the "no_event" videos and class')
    common(slovo)
    nmfs = sub.add_parser('nmfs-csl', help='NMFs-CSL trainlist01.txt and testlist01.txt')
    nmfs.add_argument('train_list', help='trainlist01.txt ("<path> <label>" lines)')
    nmfs.add_argument('test_list', help='testlist01.txt ("<label folder>/<file>" lines)')
    common(nmfs)
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    from signmae_mm.preprocessing.dataset_converters import (DatasetFormatError, check_videos,
                                                             convert_nmfs_csl, convert_slovo,
                                                             convert_wlasl, format_class_counts,
                                                             write_converted)
    try:
        if args.dataset == 'wlasl':
            converted = convert_wlasl(args.ann_file, args.subsets, args.video_ext)
        elif args.dataset == 'slovo':
            converted = [convert_slovo(args.ann_file, args.video_pattern, args.drop_no_event)]
        else:
            converted = [convert_nmfs_csl(args.train_list, args.test_list)]
    except DatasetFormatError as e:
        print(f'error: {e}', file=sys.stderr)
        return 2
    for ds in converted:
        missing = check_videos(ds, args.video_root, args.keep_missing)
        paths = write_converted(ds, args.out_dir)
        print(format_class_counts(ds))
        for note in ds.notes:
            print(f'  note: {note}')
        if args.video_root is None:
            print('  videos not checked (no --video-root)')
        elif missing:
            print(f'  {len(missing)} videos missing under {args.video_root} '
                  f'({"kept" if args.keep_missing else "left out"}): {paths["missing"]}')
        else:
            print(f'  every video found under {args.video_root}')
        for split in ds.splits:
            print(f'  {split}: {paths[split]} ({len(ds.splits[split])} entries)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
