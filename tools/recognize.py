#!/usr/bin/env python
"""Name the sign in videos with a trained model: the top-5 classes and their scores.

For a video-stream or heatmap-stream recognizer (a finetuning config and its checkpoint) one
list per video; for a fusion config (``configs/fusion/``), one per stream and the fused one. A
model that reads sign annotations (the heatmap stream, fusion) gets them from ``--sign-ann``, or
makes them with MediaPipe Holistic on the fly (CPU, no weight files; ``--keep-annotations DIR``
keeps them). The config's test pipeline is used, as in ``mim test``.

With ``--gallery`` the model's classifier is not used: its encoder embeds the videos and a
gallery of a few clips per sign names them, by cosine similarity (no training; new signs are
new folders). The gallery is a folder ``DIR/<sign>/<clip>.mp4``, an annotation list with labels
(``--video-root``, ``--classes``), or a gallery saved with ``--save-gallery`` (``.npz``). The
checkpoint may be a finetuned recognizer's (best) or a pretraining one.

Examples::

    python tools/recognize.py configs/demo/vit-tiny-p8_signmae-handarm-pre_8x2x1_signdemo.py \\
        work_dirs/vit-tiny-p8_signmae-handarm-pre_8x2x1_signdemo/epoch_20.pth my_sign.mp4
    # a late-fusion config loads its streams' checkpoints itself: no checkpoint ("-")
    python tools/recognize.py configs/fusion/late-fusion_...py - a.mp4 b.mp4 --device cuda:0
    # a gallery of your own signs, kept for later queries
    python tools/recognize.py CONFIG CHECKPOINT my_sign.mp4 --gallery my_signs/ \\
        --save-gallery gallery.npz
    python tools/recognize.py CONFIG CHECKPOINT other.mp4 --gallery gallery.npz

Exit status: 0 when every video was recognised, 1 when one failed (the others are still
printed), 2 on bad arguments (a checkpoint, a gallery that cannot be used).
"""
import argparse
import json
import sys
from typing import List, Optional

from mmengine.config import Config, DictAction


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', help='the model\'s config file')
    parser.add_argument('checkpoint', help='its checkpoint, or "-" for the weights the config '
                        'gives (late fusion)')
    parser.add_argument('videos', nargs='+', help='video files')
    parser.add_argument('--sign-ann', nargs='+', default=None,
                        help='the videos\' sign annotations (.npz), in the same order')
    parser.add_argument('--keep-annotations', default=None, metavar='DIR',
                        help='keep the annotations made with MediaPipe in DIR')
    parser.add_argument('--classes', default=None,
                        help='class names, one per line (default: the checkpoint\'s, else the '
                        'config\'s test list); with --gallery LIST, the list\'s sign names')
    parser.add_argument('--top-k', type=int, default=5)
    parser.add_argument('--device', default='cpu', help='e.g. cpu, cuda:0')
    parser.add_argument('--out', default=None, help='also write the results to this JSON file')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                        help='override config settings, as in mim train / mim test')
    gallery = parser.add_argument_group('gallery (name signs from a few clips each)')
    gallery.add_argument('--gallery', default=None, metavar='DIR|LIST|FILE',
                         help='a folder of sign folders, an annotation list with labels, or a '
                         'saved gallery (.npz)')
    gallery.add_argument('--save-gallery', default=None, metavar='OUT',
                         help='write the gallery to OUT (.npz) for later queries')
    gallery.add_argument('--gallery-mode', default=None, choices=('prototype', 'knn'),
                         help='score a sign by its prototype (default) or its k nearest clips')
    gallery.add_argument('--knn-k', type=int, default=None,
                         help='clips per sign of --gallery-mode knn (default 1)')
    gallery.add_argument('--video-root', default=None,
                         help='folder of a gallery LIST\'s videos (default: the list\'s folder)')
    args = parser.parse_args(argv)
    if args.sign_ann is not None and len(args.sign_ann) != len(args.videos):
        parser.error(f'--sign-ann: {len(args.sign_ann)} files for {len(args.videos)} videos')
    if args.gallery is None and args.save_gallery is not None:
        parser.error('--save-gallery needs --gallery')
    if args.gallery is not None and args.checkpoint == '-':
        parser.error('--gallery embeds with one recognizer\'s encoder: give its checkpoint')
    return args


def _failed(video: str, e: Exception, results: list) -> None:
    # our checks say what is wrong in words; anything else also gets its type
    said = e if isinstance(e, (FileNotFoundError, ValueError)) else f'{type(e).__name__}: {e}'
    print(f'{video}: FAILED: {said}', file=sys.stderr)
    results.append(dict(video=video, error=f'{type(e).__name__}: {e}'))


def _with_classifier(args: argparse.Namespace, cfg: Config) -> Optional[list]:
    from signmae_mm.apis import class_names, inference_sign_recognizer, init_sign_recognizer
    try:
        model = init_sign_recognizer(cfg, None if args.checkpoint == '-' else args.checkpoint,
                                     device=args.device)
        classes = class_names(model, args.classes)
    except (FileNotFoundError, RuntimeError, ValueError) as e:
        # a missing file, or a checkpoint that does not fit the config (strict loading)
        print(f'error: {e}', file=sys.stderr)
        return None
    results = []
    for i, video in enumerate(args.videos):
        try:
            result = inference_sign_recognizer(
                model, video, sign_ann=args.sign_ann[i] if args.sign_ann else None,
                classes=classes, annotation_dir=args.keep_annotations)
        except Exception as e:  # one bad video must not hide the others' results
            _failed(video, e, results)
            continue
        print(video)
        for note in result.notes:
            print(f'  note: {note}')
        entry = dict(video=video, top_k={})
        for output in result.scores:
            top = result.top_k(args.top_k, output)
            entry['top_k'][output] = [dict(label=k, name=n, score=s) for k, n, s in top]
            print(f'  {output}:')
            for rank, (label, name, score) in enumerate(top, 1):
                print(f'    {rank}. {name} (label {label}): {score:.4f}')
        results.append(entry)
    return results


def _with_gallery(args: argparse.Namespace, cfg: Config) -> Optional[list]:
    from signmae_mm.apis import embed_videos, init_sign_encoder, make_gallery
    classes = None
    try:
        model = init_sign_encoder(cfg, args.checkpoint, device=args.device)
        if args.classes is not None:
            with open(args.classes, encoding='utf-8') as f:
                classes = [line.rstrip('\n') for line in f if line.strip()]
        gallery = make_gallery(model, args.gallery, mode=args.gallery_mode, k=args.knn_k,
                               video_root=args.video_root, classes=classes)
        if args.save_gallery:
            gallery.save(args.save_gallery)
    except (FileNotFoundError, RuntimeError, ValueError) as e:
        print(f'error: {e}', file=sys.stderr)
        return None
    clips = sum(len(gallery.clip_names(s)) for s in gallery.signs)
    knn = f', k={gallery.k}' if gallery.mode == 'knn' else ''
    saved = f', saved to {args.save_gallery}' if args.save_gallery else ''
    print(f'gallery: {len(gallery)} signs, {clips} clips ({gallery.mode}{knn}){saved}')
    results = []
    for i, video in enumerate(args.videos):
        infos = [dict(sign_ann=args.sign_ann[i])] if args.sign_ann else None
        try:
            features = embed_videos(model, [video], sample_infos=infos, progress=False)
            top = gallery.query(features, args.top_k)[0]
        except Exception as e:  # one bad video must not hide the others' results
            _failed(video, e, results)
            continue
        print(video)
        print('  gallery (cosine similarity):')
        for rank, (name, score) in enumerate(top, 1):
            print(f'    {rank}. {name}: {score:.4f}')
        results.append(dict(video=video,
                            top_k=dict(gallery=[dict(name=n, score=s) for n, s in top])))
    return results


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    from signmae_mm.apis import check_checkpoint_file

    try:
        cfg = Config.fromfile(args.config)
        cfg.merge_from_dict(args.cfg_options)
        if args.checkpoint != '-':
            check_checkpoint_file(args.checkpoint)  # before anything takes a while
    except (FileNotFoundError, ValueError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 2
    results = (_with_gallery if args.gallery else _with_classifier)(args, cfg)
    if results is None:
        return 2
    if args.out:
        from signmae_mm.utils import atomic_write
        atomic_write(json.dumps(results, indent=1), args.out)
    return 1 if any('error' in r for r in results) else 0


if __name__ == '__main__':
    sys.exit(main())
