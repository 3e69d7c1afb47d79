"""Show what a pretrained SignMAE / VideoMAE model reconstructs of a masked clip: a PNG.

Builds the pretraining model of CONFIG, loads CHECKPOINT, takes one clip with its token mask from
the config's train pipeline (sample ``--index`` of its train dataset, or ``--video`` with
``--sign-ann``), seeded by ``--seed`` so that the crop and the mask are reproducible, and draws
three rows (original, masked input, reconstruction) with one column per time slot, the clip's
reconstruction loss and its mean-predictor floor (the loss of predicting every masked tubelet by
its own mean colour; a model that learned anything beats it). Several ``--video`` (each with its
``--sign-ann``, in the same order) are drawn one below the other in one PNG, e.g. both signs
of a pair that differs only in hand shape.

Examples::

    python tools/visualize_reconstruction.py \\
        configs/demo/signmae-handarm_vit-tiny-p8_8x2x1_signdemo.py \\
        work_dirs/signmae-handarm_vit-tiny-p8_8x2x1_signdemo/epoch_20.pth --index 3 --out rec.png

    python tools/visualize_reconstruction.py CONFIG CHECKPOINT --video v.mp4 --sign-ann v.npz \\
        --out rec.png --seed 1

The work is done by :mod:`signmae_mm.visualization`; this file parses the arguments.
"""
import argparse
import os.path as osp
import sys
from typing import List, Optional, Sequence

import numpy as np


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    from mmengine.config import DictAction
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('config', help='pretraining config (model and train pipeline)')
    parser.add_argument('checkpoint', help='checkpoint of that model')
    parser.add_argument('--index', type=int, default=None,
                        help='sample of the config\'s train dataset (default 0)')
    parser.add_argument('--video', nargs='+',
                        help='videos (with --sign-ann) instead of the dataset, drawn one below '
                        'the other')
    parser.add_argument('--sign-ann', nargs='+',
                        help='the videos\' sign annotations (.npz), in the same order')
    parser.add_argument('--out', required=True, help='output PNG')
    parser.add_argument('--seed', type=int, default=0, help='seed of the pipeline (crop, mask)')
    parser.add_argument('--scale', type=int, default=None,
                        help='upscaling of the frames (default: shorter side >= 128 px)')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                        help='key=value overrides of the config')
    args = parser.parse_args(argv)
    if args.video is not None and args.index is not None:
        parser.error('give either --index or --video, not both')
    if (args.video is None) != (args.sign_ann is None):
        parser.error('--video and --sign-ann go together')
    if args.video is not None and len(args.video) != len(args.sign_ann):
        parser.error(f'{len(args.video)} --video but {len(args.sign_ann)} --sign-ann: give one '
                     'sign annotation per video')
    if args.video is None and args.index is None:
        args.index = 0
    return args


def main(argv: Optional[Sequence[str]] = None) -> List[dict]:
    """Run the tool; returns :func:`signmae_mm.visualization.reconstruct`'s result per clip."""
    import signmae_mm  # noqa: F401  (compat fixes, registers our modules)
    from mmengine.config import Config

    from signmae_mm.visualization import (draw_reconstruction, load_pretrainer, packed_sample,
                                          reconstruct, stack_images, write_png)

    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    cfg.merge_from_dict(args.cfg_options)
    model = load_pretrainer(cfg, args.checkpoint, args.device, name=args.config)
    clips = ([(args.index, None, None)] if args.video is None else
             [(None, video, ann) for video, ann in zip(args.video, args.sign_ann)])
    results, images = [], []
    for index, video, sign_ann in clips:
        data, meta = packed_sample(cfg, index, video, sign_ann, args.seed)
        result = reconstruct(model, data)
        result['mask_type'] = meta.get('mask_type')
        fallback = ' (fallback)' if meta.get('mask_fallback') else ''
        name = osp.basename(str(meta.get('filename', '')))
        title = f'{name}   {osp.basename(args.checkpoint)}   seed {args.seed}'
        images.append(draw_reconstruction(result, args.scale, title))
        print(f'{name}: loss_rec {result["loss"]:.6f}  floor {result["floor"]:.6f}  '
              f'mask {result["mask_type"]}{fallback}  masked {int(np.sum(result["mask"]))}/'
              f'{result["mask"].size}')
        results.append(result)
    image = stack_images(images)
    write_png(image, args.out)
    print(f'wrote {args.out} ({image.shape[1]}x{image.shape[0]})')
    return results


if __name__ == '__main__':
    from signmae_mm.visualization.pretrainer import CheckpointMismatchError
    try:
        main(sys.argv[1:])
    except (CheckpointMismatchError, FileNotFoundError) as error:
        # What the user got wrong, not a bug: one line, no traceback.
        sys.exit(f'error: {error}')
