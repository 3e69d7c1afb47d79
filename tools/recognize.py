#!/usr/bin/env python
"""Name the sign in videos with a trained model: the top-5 classes and their scores.

For a video-stream or heatmap-stream recognizer (a finetuning config and its checkpoint) one
list per video; for a fusion config (``configs/fusion/``), one per stream and the fused one. A
model that reads sign annotations (the heatmap stream, fusion) gets them from ``--sign-ann``, or
makes them with MediaPipe Holistic on the fly (CPU, no weight files; ``--keep-annotations DIR``
keeps them). The config's test pipeline is used, as in ``mim test``.

Examples::

    python tools/recognize.py configs/demo/vit-tiny-p8_signmae-handarm-pre_8x2x1_signdemo.py \\
        work_dirs/vit-tiny-p8_signmae-handarm-pre_8x2x1_signdemo/epoch_20.pth my_sign.mp4
    # a late-fusion config loads its streams' checkpoints itself: no checkpoint ("-")
    python tools/recognize.py configs/fusion/late-fusion_...py - a.mp4 b.mp4 --device cuda:0

Exit status: 0 when every video was recognised, 1 when one failed (the others are still
printed), 2 on bad arguments.
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
                        'config\'s test list)')
    parser.add_argument('--top-k', type=int, default=5)
    parser.add_argument('--device', default='cpu', help='e.g. cpu, cuda:0')
    parser.add_argument('--out', default=None, help='also write the results to this JSON file')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                        help='override config settings, as in mim train / mim test')
    args = parser.parse_args(argv)
    if args.sign_ann is not None and len(args.sign_ann) != len(args.videos):
        parser.error(f'--sign-ann: {len(args.sign_ann)} files for {len(args.videos)} videos')
    return args


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    from signmae_mm.apis import class_names, inference_sign_recognizer, init_sign_recognizer

    try:
        cfg = Config.fromfile(args.config)
        cfg.merge_from_dict(args.cfg_options)
        model = init_sign_recognizer(cfg, None if args.checkpoint == '-' else args.checkpoint,
                                     device=args.device)
        classes = class_names(model, args.classes)
    except (FileNotFoundError, RuntimeError, ValueError) as e:
        # a missing file, or a checkpoint that does not fit the config (strict loading)
        print(f'error: {e}', file=sys.stderr)
        return 2
    results, failed = [], 0
    for i, video in enumerate(args.videos):
        try:
            result = inference_sign_recognizer(
                model, video, sign_ann=args.sign_ann[i] if args.sign_ann else None,
                classes=classes, annotation_dir=args.keep_annotations)
        except Exception as e:  # one bad video must not hide the others' results
            failed += 1
            # our checks say what is wrong in words; anything else also gets its type
            said = e if isinstance(e, (FileNotFoundError, ValueError)) else (
                f'{type(e).__name__}: {e}')
            print(f'{video}: FAILED: {said}', file=sys.stderr)
            results.append(dict(video=video, error=f'{type(e).__name__}: {e}'))
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
    if args.out:
        from signmae_mm.engine.atomic_local_backend import atomic_write
        atomic_write(json.dumps(results, indent=1), args.out)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
