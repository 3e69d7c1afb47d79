"""Show what a token mask does to a clip: a PNG grid (and optionally an MP4).

Runs a config's own train pipeline (its sampling, crop, flip and mask; ``configs/
signmae_pretrain.py`` when no ``--config`` is given) up to (not including) ``FormatShape`` and
draws, for each time slot of the clip, two panels: the augmented frame with the part maps
overlaid (hands red, arms blue, face green, mapped through the clip's crop / resize / flip), and
the same frame with the masked tokens shaded and the token grid drawn. ``--seed`` fixes the
random draws (frames, crop, flip, mask). The work is done by :mod:`signmae_mm.visualization`.

Examples::

    # a sample of a config's dataset (its train pipeline, with its mask transform)
    python tools/visualize_masks.py --config configs/my_pretrain.py --index 3 --out mask.png

    # one video and its sign annotation, through the default config's pipeline, with the mask
    # ratio and the clip size changed
    python tools/visualize_masks.py --video v.mp4 --sign-ann v.npz --mask hand_arm \\
        --ratio 0.5 --input-size 224 --out mask.png --mp4 mask.mp4
"""
import argparse
import os.path as osp
import sys
from typing import Optional, Sequence

#: The config whose train pipeline is shown when no ``--config`` is given.
DEFAULT_CONFIG = osp.join(osp.dirname(osp.abspath(__file__)), '..', 'configs',
                          'signmae_pretrain.py')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    import signmae_mm  # noqa: F401  (compat fixes, registers our masks)
    from mmengine.config import DictAction

    from signmae_mm.datasets.transforms import token_masks
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--config', default=DEFAULT_CONFIG,
                        help='config whose dataset and train pipeline to use (default: '
                        'configs/signmae_pretrain.py)')
    parser.add_argument('--video', help='a video (with --sign-ann) instead of the dataset')
    parser.add_argument('--sign-ann', help='the video\'s sign annotation (.npz)')
    parser.add_argument('--split', default='train', help='<split>_dataloader of the config')
    parser.add_argument('--index', type=int, default=0, help='sample index in the dataset')
    group = parser.add_argument_group('changes to the config\'s pipeline (default: as is)')
    group.add_argument('--mask', choices=sorted(token_masks()), help='a registered token mask')
    group.add_argument('--input-size', type=int)
    group.add_argument('--clip-len', type=int)
    group.add_argument('--frame-interval', type=int)
    group.add_argument('--ratio', type=float)
    group.add_argument('--patch-size', type=int)
    group.add_argument('--tubelet-size', type=int)
    parser.add_argument('--seed', type=int, default=0, help='seed of the pipeline')
    parser.add_argument('--scale', type=int, default=1, help='upscale the output')
    parser.add_argument('--out', default='mask.png', help='output PNG')
    parser.add_argument('--mp4', help='also write an MP4 (overlay | mask per frame)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                        help='key=value overrides of the config')
    args = parser.parse_args(argv)
    if (args.video is None) != (args.sign_ann is None):
        parser.error('--video and --sign-ann go together')
    return args


def main(argv: Optional[Sequence[str]] = None) -> dict:
    """Run the tool; returns the results of the rendered sample."""
    import signmae_mm  # noqa: F401  (compat fixes, registers our modules)
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from signmae_mm.visualization import (draw_masks, override_pipeline, run_transforms,
                                          sample_transforms, write_mp4, write_png)
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    cfg.merge_from_dict(args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmaction'))
    dataset = cfg[f'{args.split}_dataloader']['dataset']
    dataset['pipeline'] = override_pipeline(
        dataset['pipeline'], args.mask, args.ratio, args.clip_len, args.frame_interval,
        args.input_size, args.patch_size, args.tubelet_size)
    info, transforms = sample_transforms(cfg, args.index, args.video, args.sign_ann, args.split)
    results, _, masker = run_transforms(transforms, info, args.seed,
                                        stop_before=('FormatShape', 'Pack'))
    if masker is None:
        raise RuntimeError(f'{args.config}: the pipeline has no mask transform before '
                           'FormatShape')
    grid, frames = draw_masks(results, masker, args.scale)
    write_png(grid, args.out)
    print(f'wrote {args.out} ({grid.shape[1]}x{grid.shape[0]})')
    if args.mp4:
        write_mp4(frames, args.mp4)
        print(f'wrote {args.mp4} ({len(frames)} frames)')
    return results


if __name__ == '__main__':
    main(sys.argv[1:])
