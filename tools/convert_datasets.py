#!/usr/bin/env python
"""Convert WLASL, Slovo, NMFs-CSL annotations or a folder of labelled videos into SignMAE
annotation lists.

Writes ``<name>_<split>.json`` (read by ``SignVideoDataset`` and by ``tools/preprocess.py``),
``<name>_classes.txt`` (one class per line, line index = label), ``<name>_class_counts.csv`` and
``<name>_missing_videos.txt`` (videos named by the annotations but absent under ``--video-root``;
their entries are dropped unless ``--keep-missing``), and prints the class counts per split and
whether the lists' frame ranges are used (``use_frame_range`` in their metainfo).

``folder`` reads ``ROOT/<gloss>/<clip>``, ``ROOT/<split>/<gloss>/<clip>`` or a ``--list`` of
``<path> <label> [split]`` lines, opens every video (one that does not decode stops the tool;
with ``--skip-unreadable`` they are left out and listed in ``<name>_unreadable_videos.txt``) and,
when no split is given, splits the clips with a seed,
per class (``--split-by clip``) or keeping each signer in one split (``--split-by signer``).

Examples::

    python tools/convert_datasets.py wlasl data/wlasl/WLASL_v0.3.json \\
        --video-root data/wlasl/videos --out-dir data/wlasl/annotations --subsets 100 2000
    python tools/convert_datasets.py slovo data/slovo/annotations.csv \\
        --video-root data/slovo --out-dir data/slovo/annotations
    python tools/convert_datasets.py nmfs-csl data/nmfs_csl/trainlist01.txt \\
        data/nmfs_csl/testlist01.txt --video-root data/nmfs_csl/videos \\
        --out-dir data/nmfs_csl/annotations
    python tools/convert_datasets.py folder data/my_signs --out-dir data/my_signs/annotations \\
        --split-by signer --signer-regex '^(?P<signer>[^_]+)_'

Then, per list: ``python tools/preprocess.py <out-dir>/<name>_<split>.json --video-root
<video-root> --out-dir <sign-ann-dir> ...``.

Exit status: 0 on success, 1 when videos of a folder do not decode (unless
``--skip-unreadable``), 2 on a malformed annotation file or folder, or bad arguments.
"""
import argparse
import sys
from typing import List, Optional

#: What each dataset's videos are, hence whether the lists' frame ranges apply.
_FRAME_RANGE_REASONS = {
    ('wlasl', False): "WLASL's processed videos/ are already cut per instance",
    ('wlasl', True): '--raw-videos: the videos are uncut recordings',
    ('slovo', True): 'a Slovo video holds its sign between begin and end',
    ('nmfs-csl', False): 'NMFs-CSL has no frame ranges',
    ('folder', False): 'each clip holds just its sign',
}


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
    wlasl.add_argument('--raw-videos', action='store_true',
                       help='the videos are the uncut recordings (not the start kit\'s cut '
                       'videos/): sample inside frame_start/frame_end (use_frame_range=True)')
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
    folder = sub.add_parser('folder', help='a folder of labelled videos (ROOT/<gloss>/<clip>, '
                            'ROOT/<split>/<gloss>/<clip> or --list)')
    folder.add_argument('root', help='the dataset folder; list paths are relative to it')
    folder.add_argument('--list', dest='list_file', default=None,
                        help='"<path> <label> [split]" lines (label: an int on every line or a '
                        'gloss name on every line; # comments)')
    folder.add_argument('--out-dir', required=True, help='output folder of the lists')
    folder.add_argument('--name', default='folder', help='dataset name (output file prefix)')
    folder.add_argument('--split-by', choices=('clip', 'signer'), default='clip',
                        help='without a given split: per class by clip (stratified), or whole '
                        'signers per split')
    folder.add_argument('--signer-regex', default=None,
                        help='regular expression with a named group "signer", searched in each '
                        r'file name, e.g. "^(?P<signer>P\d+)_"; records signer_id')
    folder.add_argument('--ratios', type=float, nargs=3, default=[0.7, 0.15, 0.15],
                        metavar=('TRAIN', 'VAL', 'TEST'), help='split shares (sum 1)')
    folder.add_argument('--seed', type=int, default=0, help='seed of the split')
    folder.add_argument('--skip-unreadable', action='store_true',
                        help='write the lists without the videos that do not decode (default: '
                        'name them and write nothing)')
    return parser.parse_args(argv)


def _frame_range_line(dataset: str, use: bool) -> str:
    """The frame-range assumption of a converted dataset and how to switch it."""
    reason = _FRAME_RANGE_REASONS.get((dataset, use), 'as the converter set it')
    if use:
        return (f'frame ranges: used (use_frame_range=True: {reason}); pipelines need '
                'SampleSignFrames in place of SampleFrames; to sample whole videos set '
                'use_frame_range=False on the dataset in a config')
    switch = ('convert with --raw-videos, or ' if dataset == 'wlasl' else '')
    return (f'frame ranges: not used (use_frame_range=False: {reason}); to sample inside '
            f'frame_start/frame_end {switch}set use_frame_range=True on the dataset in a config')


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    from signmae_mm.preprocessing import (check_videos, convert_folder, convert_nmfs_csl,
                                          convert_slovo, convert_wlasl, format_class_counts,
                                          write_converted)
    try:
        if args.dataset == 'wlasl':
            converted = convert_wlasl(args.ann_file, args.subsets, args.video_ext,
                                      raw_videos=args.raw_videos)
        elif args.dataset == 'slovo':
            converted = [convert_slovo(args.ann_file, args.video_pattern, args.drop_no_event)]
        elif args.dataset == 'nmfs-csl':
            converted = [convert_nmfs_csl(args.train_list, args.test_list)]
        else:
            converted = [convert_folder(args.root, args.list_file, args.name, args.split_by,
                                        args.signer_regex, args.ratios, args.seed)]
    except ValueError as e:  # DatasetFormatError, or bad arguments of convert_folder
        print(f'error: {e}', file=sys.stderr)
        return 2
    for ds in converted:
        if args.dataset == 'folder' and ds.unreadable and not args.skip_unreadable:
            # a recorded clip that does not decode is a surprise: fail closed
            print(f'error: {len(ds.unreadable)} videos under {args.root} do not decode: '
                  f'{", ".join(ds.unreadable)}; nothing written (--skip-unreadable writes the '
                  'lists without them)', file=sys.stderr)
            return 1
        if args.dataset == 'folder':
            # convert_folder found the missing videos itself, before splitting
            video_root, missing = args.root, ds.missing
        else:
            video_root = args.video_root
            missing = check_videos(ds, video_root, args.keep_missing)
        paths = write_converted(ds, args.out_dir)
        print(format_class_counts(ds))
        if 'split_rule' in ds.metainfo:
            print(f'  split: {ds.metainfo["split_rule"]}')
        print(f'  {_frame_range_line(args.dataset, bool(ds.metainfo.get("use_frame_range")))}')
        for note in ds.notes:
            print(f'  note: {note}')
        if video_root is None:
            print('  videos not checked (no --video-root)')
        elif missing:
            kept = getattr(args, 'keep_missing', False)
            print(f'  {len(missing)} videos missing under {video_root} '
                  f'({"kept" if kept else "left out"}): {paths["missing"]}')
        else:
            print(f'  every video found under {video_root}')
        if ds.unreadable:
            shown = ', '.join(ds.unreadable[:5]) + (', ...' if len(ds.unreadable) > 5 else '')
            print(f'  {len(ds.unreadable)} unreadable videos (left out: {shown}): '
                  f'{paths["unreadable"]}')
        print(f'  classes: {paths["classes"]}')
        for split in ds.splits:
            print(f'  {split}: {paths[split]} ({len(ds.splits[split])} entries)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
