"""Show what a token mask does to a clip: a PNG grid (and optionally an MP4).

Runs a real pipeline up to (not including) ``FormatShape`` and draws, for each time slot of the
clip, two panels: the augmented frame with the part maps overlaid (hands red, arms blue, face
green, mapped through the clip's crop / resize / flip), and the same frame with the masked tokens
shaded and the token grid drawn.

Examples::

    # a sample of a dataset from a config (its train pipeline, with its mask transform)
    python tools/visualize_masks.py --config configs/my_pretrain.py --index 3 --out mask.png

    # one video and its sign annotation, with a built-in pretraining pipeline
    python tools/visualize_masks.py --video v.mp4 --sign-ann v.npz --mask hand_arm \\
        --input-size 224 --out mask.png --mp4 mask.mp4
"""
import argparse
import os.path as osp
import sys
from typing import List, Optional, Sequence, Tuple

import cv2
import numpy as np

# part groups -> overlay colour (RGB)
_COLOURS = {
    'left_hand': (255, 40, 40), 'right_hand': (255, 40, 40),
    'left_lower_arm': (40, 90, 255), 'right_lower_arm': (40, 90, 255),
    'left_upper_arm': (40, 200, 255), 'right_upper_arm': (40, 200, 255),
    'face': (40, 220, 40),
}


def default_pipeline(mask: str = 'hand_arm', input_size: int = 224, clip_len: int = 16,
                     frame_interval: int = 4, tubelet: int = 2, patch: int = 16,
                     ratio: float = 0.9) -> List[dict]:
    """The VideoMAE-style pretraining pipeline used with ``--video``."""
    masks = dict(hand_arm='SegmentGuidedHandMask', tube='TubeMask', random='RandomMask')
    return [
        dict(type='DecordInit'),
        dict(type='SampleFrames', clip_len=clip_len, frame_interval=frame_interval, num_clips=1),
        dict(type='DecordDecode'),
        dict(type='LoadSignAnnotation'),
        dict(type='Resize', scale=(-1, int(input_size * 256 / 224))),
        dict(type='RandomResizedCrop', area_range=(0.5, 1.0)),
        dict(type='Resize', scale=(input_size, input_size), keep_ratio=False),
        dict(type='Flip', flip_ratio=0.5),
        dict(type=masks[mask], ratio=ratio, tubelet_size=tubelet, patch_size=patch,
             input_size=(clip_len, input_size, input_size)),
    ]


def run_until_format(transforms: Sequence, results: dict) -> Tuple[dict, object]:
    """Apply transforms up to the first ``FormatShape`` / ``Pack*`` one.

    Returns:
        tuple[dict, object]: The results (frames still ``(T, H, W, 3)``) and the mask transform.
    """
    from mmaction.registry import TRANSFORMS

    from signmae_mm.datasets.transforms.masking import _BaseTokenMask
    masker = None
    for t in transforms:
        if type(t).__name__ == 'FormatShape' or type(t).__name__.startswith('Pack'):
            break
        results = t(results)
        if results is None:
            raise RuntimeError(f'{type(t).__name__} dropped the sample (e.g. a static clip); '
                               'try another --index or --seed')
        if isinstance(t, _BaseTokenMask):
            masker = t
    if 'lazy' in results:
        results = TRANSFORMS.build(dict(type='Fuse'))(results)
    if 'mask' not in results or masker is None:
        raise RuntimeError('the pipeline has no mask transform before FormatShape')
    return results, masker


def render(results: dict, masker, scale: int = 1) -> Tuple[np.ndarray, List[np.ndarray]]:
    """Draw the part-map overlay and the masked tokens.

    Args:
        results (dict): Results after the mask transform (``imgs`` RGB ``(T, H, W, 3)``).
        masker: The mask transform (for the tubelet and patch size).
        scale (int): Upscaling of the output. Defaults to 1.

    Returns:
        tuple[np.ndarray, list[np.ndarray]]: The RGB grid (2 rows x T' columns) and one RGB
        frame per clip frame (overlay and mask side by side) for a video.
    """
    from signmae_mm.datasets import PART_GROUPS
    from signmae_mm.datasets.transforms import get_clip_geometry, map_part_maps

    imgs = np.asarray(results['imgs'], dtype=np.float32)
    t, h, w = imgs.shape[:3]
    tub, (ph, pw) = masker.tubelet_size, masker.patch_size
    slots, hp, wp = t // tub, h // ph, w // pw
    mask = results['mask'].reshape(slots, hp, wp)
    overlay = imgs.copy()
    if 'sign_part_maps' in results:
        cover = map_part_maps(results['sign_part_maps'], get_clip_geometry(results))  # T,P,H,W
        for p, name in enumerate(PART_GROUPS):
            a = np.clip(cover[:, p], 0, 1)[..., None] * 0.6
            overlay = overlay * (1 - a) + np.asarray(_COLOURS[name], np.float32) * a
    # masked tokens: darkened and greyed, like the encoder does not see them
    token_mask = np.repeat(np.repeat(np.repeat(mask, tub, 0), ph, 1), pw, 2)
    shaded = imgs.copy()
    pad = np.zeros((t, h, w), dtype=bool)
    pad[:slots * tub, :hp * ph, :wp * pw] = token_mask
    shaded[pad] = shaded[pad] * 0.25 + 40
    shaded[:, ::ph, :] = shaded[:, ::ph, :] * 0.5 + 128
    shaded[:, :, ::pw] = shaded[:, :, ::pw] * 0.5 + 128
    overlay, shaded = (np.clip(x, 0, 255).astype(np.uint8) for x in (overlay, shaded))
    if scale > 1:
        overlay = np.stack([cv2.resize(f, (w * scale, h * scale), interpolation=cv2.INTER_NEAREST)
                            for f in overlay])
        shaded = np.stack([cv2.resize(f, (w * scale, h * scale), interpolation=cv2.INTER_NEAREST)
                           for f in shaded])
    first = np.arange(slots) * tub
    grid = np.concatenate([np.concatenate(list(overlay[first]), 1),
                           np.concatenate(list(shaded[first]), 1)], 0)
    banner = np.full((24, grid.shape[1], 3), 255, np.uint8)
    text = (f"{osp.basename(str(results.get('filename', '')))}  mask={results.get('mask_type')} "
            f"masked={int(results['mask'].sum())}/{results['mask'].size}"
            f"  fallback={results.get('mask_fallback')}  flip={results.get('flip', False)}"
            f"  tokens={results.get('mask_priority_tokens', '')}")
    cv2.putText(banner, text, (4, 17), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 0), 1, cv2.LINE_AA)
    frames = [np.concatenate([o, s], 1) for o, s in zip(overlay, shaded)]
    return np.concatenate([banner, grid], 0), frames


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    from mmengine.config import DictAction
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    src = parser.add_mutually_exclusive_group(required=True)
    src.add_argument('--config', help='a config whose dataset and pipeline to use')
    src.add_argument('--video', help='a video (with --sign-ann)')
    parser.add_argument('--sign-ann', help='the video\'s sign annotation (.npz)')
    parser.add_argument('--split', default='train', help='<split>_dataloader of the config')
    parser.add_argument('--index', type=int, default=0, help='sample index in the dataset')
    parser.add_argument('--mask', default='hand_arm', choices=('hand_arm', 'tube', 'random'))
    parser.add_argument('--input-size', type=int, default=224)
    parser.add_argument('--clip-len', type=int, default=16)
    parser.add_argument('--frame-interval', type=int, default=4)
    parser.add_argument('--ratio', type=float, default=0.9)
    parser.add_argument('--patch-size', type=int, default=16)
    parser.add_argument('--tubelet-size', type=int, default=2)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--scale', type=int, default=1, help='upscale the output')
    parser.add_argument('--out', default='mask.png', help='output PNG')
    parser.add_argument('--mp4', help='also write an MP4 (overlay | mask per frame)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                        help='key=value overrides of the config')
    args = parser.parse_args(argv)
    if args.video and not args.sign_ann:
        parser.error('--video needs --sign-ann')
    return args


def main(argv: Optional[Sequence[str]] = None) -> dict:
    """Run the tool; returns the results of the rendered sample."""
    import random

    from mmaction.registry import DATASETS, TRANSFORMS
    from mmengine.dataset import Compose

    import signmae_mm  # noqa: F401  (registers our modules)
    args = parse_args(argv)
    np.random.seed(args.seed)
    random.seed(args.seed)
    if args.config:
        from mmengine.config import Config
        from mmengine.registry import init_default_scope
        cfg = Config.fromfile(args.config)
        cfg.merge_from_dict(args.cfg_options)
        init_default_scope(cfg.get('default_scope', 'mmaction'))
        dataset = DATASETS.build(cfg[f'{args.split}_dataloader']['dataset'])
        info = dataset.get_data_info(args.index)
        transforms = dataset.pipeline.transforms
    else:
        info = dict(filename=args.video, label=-1, sign_ann=args.sign_ann, modality='RGB',
                    start_index=0)
        transforms = Compose([
            TRANSFORMS.build(c) for c in default_pipeline(
                args.mask, args.input_size, args.clip_len, args.frame_interval,
                args.tubelet_size, args.patch_size, args.ratio)
        ]).transforms
    results, masker = run_until_format(transforms, info)
    grid, frames = render(results, masker, args.scale)
    if not cv2.imwrite(args.out, cv2.cvtColor(grid, cv2.COLOR_RGB2BGR)):
        raise OSError(f'cannot write {args.out}')
    print(f'wrote {args.out} ({grid.shape[1]}x{grid.shape[0]})')
    if args.mp4:
        h, w = frames[0].shape[:2]
        writer = cv2.VideoWriter(args.mp4, cv2.VideoWriter_fourcc(*'mp4v'), 4, (w, h))
        if not writer.isOpened():
            raise OSError(f'cannot write {args.mp4}')
        for f in frames:
            writer.write(cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
        writer.release()
        print(f'wrote {args.mp4} ({len(frames)} frames)')
    return results


if __name__ == '__main__':
    main(sys.argv[1:])
