#!/usr/bin/env python
"""Embed sign videos with a recognizer's encoder: one pooled embedding per video, in an .npz.

CONFIG is a recognizer config (a finetuning config, a heatmap stream's, a fusion's stream
config); CHECKPOINT a finetuned recognizer's, a pretraining one (its ``backbone.`` keys), or
``none`` (a random encoder, the "no pretraining" reference). The videos are an annotation list
(mmaction2 JSON, or ``<video> <label>`` text lines: labels and class names come with it) or video
files (label -1). Each video goes through the config's test pipeline; its clips and crops are
averaged. The file (:class:`signmae_mm.apis.SignFeatures`) holds ``features`` (N, D) float32,
``names``, ``labels``, ``classes``, the encoder's identity and the skipped videos, without
pickles (``numpy.load(FILE, allow_pickle=False)``).

Examples::

    python tools/extract_features.py \\
        configs/demo/vit-tiny-p8_signmae-handarm-pre_8x2x1_signdemo.py \\
        work_dirs/vit-tiny-p8_signmae-handarm-pre_8x2x1_signdemo/epoch_20.pth \\
        data/demo/test.json --video-root data/demo/videos --out test_features.npz
    python tools/extract_features.py CONFIG CHECKPOINT a.mp4 b.mp4 --out ab.npz

Exit status: 0 when the file was written, 1 when a video does not decode (nothing written;
``--skip-bad`` leaves such videos out and records them), 2 on bad arguments.
"""
import argparse
import os.path as osp
import sys
from typing import List, Optional

LIST_EXTENSIONS = ('.json', '.txt')


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', help='a recognizer config')
    parser.add_argument('checkpoint', help='recognizer or pretraining checkpoint, or "none"')
    parser.add_argument('videos', nargs='+', metavar='LIST|VIDEOS',
                        help='an annotation list (.json, .txt) or video files')
    parser.add_argument('--out', required=True, help='the .npz to write')
    parser.add_argument('--video-root', default=None,
                        help='folder of the list\'s videos (default: the list\'s folder)')
    parser.add_argument('--sign-ann-root', default=None,
                        help='folder of the list\'s sign annotations (models that read them)')
    parser.add_argument('--classes', default=None,
                        help='class names, one per line (default: the list\'s)')
    parser.add_argument('--batch-size', type=int, default=16)
    parser.add_argument('--device', default='cpu', help='e.g. cpu, cuda:0')
    parser.add_argument('--skip-bad', action='store_true',
                        help='leave out videos that do not decode (recorded in the file)')
    parser.add_argument('--no-progress', action='store_true', help='no progress bar')
    args = parser.parse_args(argv)
    args.is_list = len(args.videos) == 1 and args.videos[0].lower().endswith(LIST_EXTENSIONS)
    if not args.is_list and (args.video_root or args.sign_ann_root or args.classes):
        parser.error('--video-root, --sign-ann-root and --classes go with an annotation list')
    return args


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    # imported here so that --help answers without loading mmaction2 and torch
    from signmae_mm.apis import (check_checkpoint_file, embed_videos, init_sign_encoder,
                                 videos_from_list)

    checkpoint = None if args.checkpoint.lower() == 'none' else args.checkpoint
    try:
        if checkpoint is not None:
            check_checkpoint_file(checkpoint)  # before anything takes a while
        classes = None
        if args.classes is not None:
            with open(args.classes, encoding='utf-8') as f:
                classes = [line.rstrip('\n') for line in f if line.strip()]
        if args.is_list:
            videos = videos_from_list(args.videos[0], args.video_root, args.sign_ann_root,
                                      classes)
            kwargs = dict(labels=videos.labels, names=videos.names, classes=videos.classes,
                          sample_infos=videos.sample_infos)
            paths = videos.paths
        else:
            paths, kwargs = args.videos, {}
        model = init_sign_encoder(args.config, checkpoint, args.device)
    except (FileNotFoundError, RuntimeError, ValueError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 2
    try:
        features = embed_videos(model, paths, batch_size=args.batch_size,
                                progress=not args.no_progress, skip_bad=args.skip_bad,
                                **kwargs)
    except (FileNotFoundError, ValueError) as e:
        hint = '' if args.skip_bad else ' (--skip-bad leaves such videos out)'
        print(f'error: {e}{hint}; nothing written', file=sys.stderr)
        return 1
    features.save(args.out)
    for name, reason in features.skipped.items():
        print(f'skipped {name}: {reason}', file=sys.stderr)
    enc = features.encoder
    print(f'{len(features)} embeddings ({features.embed_dim}-d; {enc["config"]} + '
          f'{enc["checkpoint"]}) written to {osp.abspath(args.out)}'
          + (f'; {len(features.skipped)} videos skipped' if features.skipped else ''))
    return 0


if __name__ == '__main__':
    sys.exit(main())
